import * as grpc from '@grpc/grpc-js';
import Redis from 'ioredis';
import { jsonEventToProto } from '@auren/contracts';
import { grpcIngestPort } from '../../apps/ingest/src/grpc/grpc-ingest.server';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { connectClient, refusal } from '../harness/clients';
import { connectIngestGrpc, EventIngestClient, unaryCall } from '../harness/grpc';
import { JwksServer } from '../harness/jwks';
import {
  confusedToken,
  nowSeconds,
  signHs,
  signWithKey,
  testKey,
  unsignedToken,
  type TestKey,
} from '../harness/jwt';
import { waitFor } from '../harness/wait';

/**
 * The JWT negative matrix of issue 10 §4 against ingest (HTTP and gRPC) and a gateway (a real
 * socket.io-client handshake) in production mode, with an issuer, an audience and keys from a
 * real local JWKS server (no AUREN_JWT_SECRET: only the identity provider's keys count).
 */
const ISSUER = 'https://idp.test/realms/auren';
const AUDIENCE = 'auren-realtime';

const event = () => ({
  event_type: 'agent_decision',
  source_agent: { id: 'neuroscientist' },
  user_id: 'mallory',
});

describe('JWT from an identity provider (JWKS) in production mode', () => {
  let jwks: JwksServer;
  let rsa1: TestKey;
  let rsa2: TestKey;
  let ec1: TestKey;
  let stranger: TestKey;
  let ingest: RunningApp;
  let gateway: RunningApp;
  let grpcClient: EventIngestClient;
  let redis: Redis;
  let streamKey: string;
  let accepted = 0;

  beforeAll(async () => {
    rsa1 = testKey('rsa-1');
    rsa2 = testKey('rsa-2');
    ec1 = testKey('ec-1', 'ES256');
    stranger = testKey('stranger');
    jwks = await JwksServer.start([rsa1, ec1]);
    const config = await testConfig({
      NODE_ENV: 'production',
      AUREN_JWT_JWKS_URL: jwks.url,
      AUREN_JWT_ISSUER: ISSUER,
      AUREN_JWT_AUDIENCE: `other-app,${AUDIENCE}`,
      AUREN_JWT_JWKS_COOLDOWN_SECONDS: '1',
    });
    streamKey = config.stream.key;
    ingest = await startIngest(config);
    gateway = await startGateway(config);
    grpcClient = connectIngestGrpc(grpcIngestPort(ingest.app) as number);
    redis = new Redis(process.env.AUREN_TEST_REDIS_URL as string);
  });

  afterAll(async () => {
    grpcClient?.close();
    redis?.disconnect();
    await gateway?.close();
    await ingest?.close();
    await jwks?.close();
  });

  const good = { issuer: ISSUER, audience: AUDIENCE };
  const now = nowSeconds;

  /** [case, token, refusal message pattern (undefined: accepted), connect_error code]. */
  const matrix = (): Array<[string, () => string, RegExp | undefined, string]> => [
    [
      'RS256 with a kid of the JWKS',
      () => signWithKey({ sub: 'alice' }, rsa1, good),
      undefined,
      '',
    ],
    ['ES256 with a kid of the JWKS', () => signWithKey({ sub: 'alice' }, ec1, good), undefined, ''],
    [
      'a wrong iss',
      () => signWithKey({ sub: 'alice' }, rsa1, { ...good, issuer: 'https://evil.test/' }),
      /iss \(issuer\)/,
      'AUTH_FAILED',
    ],
    [
      'a wrong aud',
      () => signWithKey({ sub: 'alice' }, rsa1, { ...good, audience: 'someone-else' }),
      /aud \(audience\)/,
      'AUTH_FAILED',
    ],
    [
      'expired beyond the tolerance',
      () => signWithKey({ sub: 'alice' }, rsa1, { ...good, iat: now() - 600, exp: now() - 60 }),
      /expired/,
      'TOKEN_EXPIRED',
    ],
    [
      'expired within the 30 s tolerance',
      () => signWithKey({ sub: 'alice' }, rsa1, { ...good, iat: now() - 600, exp: now() - 10 }),
      undefined,
      '',
    ],
    [
      'iat in the future beyond the tolerance',
      () => signWithKey({ sub: 'alice' }, rsa1, { ...good, iat: now() + 300 }),
      /iat .* in the future/,
      'AUTH_FAILED',
    ],
    [
      'alg none',
      () => unsignedToken({ sub: 'alice', iss: ISSUER, aud: AUDIENCE }),
      /none/,
      'AUTH_FAILED',
    ],
    [
      'HS256 when only the JWKS keys are accepted',
      () => signHs({ sub: 'alice' }, 'a-secret-that-is-long-enough-0123456789', good),
      /algorithm HS256 is not accepted/,
      'AUTH_FAILED',
    ],
    [
      'HS256 keyed with the public key (algorithm confusion)',
      () => confusedToken({ sub: 'admin', iss: ISSUER, aud: AUDIENCE }, rsa1),
      /algorithm HS256 is not accepted/,
      'AUTH_FAILED',
    ],
    [
      'an unknown kid',
      () => signWithKey({ sub: 'alice' }, stranger, good),
      /kid "stranger" names no key/,
      'AUTH_FAILED',
    ],
    [
      'a known kid with another key',
      () => signWithKey({ sub: 'alice' }, stranger, { ...good, kid: 'rsa-1' }),
      /signature is invalid/,
      'AUTH_FAILED',
    ],
    [
      'no kid',
      () => signWithKey({ sub: 'alice' }, rsa1, { ...good, kid: undefined }),
      /no kid/,
      'AUTH_FAILED',
    ],
    [
      'no exp (production requires one)',
      () => signWithKey({ sub: 'alice' }, rsa1, { ...good, exp: null }),
      /no exp/,
      'AUTH_FAILED',
    ],
  ];

  describe.each(matrix())('%s', (_name, token, refused, code) => {
    it(`HTTP ingest: ${refused ? '401 naming why' : '202'}`, async () => {
      const reply = await postJson(`${ingest.url}/v1/events`, event(), {
        authorization: `Bearer ${token()}`,
      });
      if (refused) {
        expect(reply.status).toBe(401);
        expect(reply.body.message).toMatch(refused);
      } else {
        expect(reply.status).toBe(202);
        accepted += 1;
      }
    });

    it(`gRPC ingest: ${refused ? 'UNAUTHENTICATED' : 'OK'}`, async () => {
      const { error } = await unaryCall(grpcClient, 'Publish', jsonEventToProto(event()), token());
      if (refused) {
        expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(error?.details).toMatch(refused);
      } else {
        expect(error).toBeNull();
        accepted += 1;
      }
    });

    it(`Socket.IO handshake: ${refused ? code : 'connected'}`, async () => {
      if (refused) {
        const data = await refusal(gateway.url, { token: token() });
        expect(data.code).toBe(code);
        expect(data.message).toMatch(refused);
      } else {
        const client = await connectClient(gateway.url, { token: token() }, ['polling']);
        expect(client.established.user_id).toBe('alice');
        client.close();
      }
    });
  });

  it('wrote exactly the accepted events, each bound to the token user', async () => {
    const entries = (await redis.xrange(streamKey, '-', '+')) as [string, string[]][];
    expect(accepted).toBe(6); // 3 accepted cases, over HTTP and gRPC
    expect(entries).toHaveLength(accepted);
    for (const [, fields] of entries) {
      expect(JSON.parse(fields[1])).toMatchObject({ user_id: 'alice' });
    }
  });

  it('accepts tokens of a rotated key once the provider publishes it, and drops the retired key', async () => {
    jwks.rotate([rsa2, ec1]);
    const rotated = signWithKey({ sub: 'alice' }, rsa2, good);

    // An unknown kid triggers a fetch at most once per cooldown (1 s here): retry until then.
    await waitFor(
      async () =>
        (
          await postJson(`${ingest.url}/v1/events`, event(), {
            authorization: `Bearer ${rotated}`,
          })
        ).status === 202,
      { timeoutMs: 10_000, what: 'ingest to accept the rotated key' },
    );
    const client = await waitFor(
      () => connectClient(gateway.url, { token: rotated }).catch(() => undefined),
      { timeoutMs: 10_000, what: 'the gateway to accept the rotated key' },
    );
    expect(client.established.user_id).toBe('alice');
    client.close();
    expect(
      (await refusal(gateway.url, { token: signWithKey({ sub: 'alice' }, rsa1, good) })).message,
    ).toMatch(/kid "rsa-1" names no key/);
  });
});
