import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig } from './config';

const GOOD_SECRET = 'a-production-secret-of-at-least-32-characters';
const PROD = { NODE_ENV: 'production', AUREN_JWT_SECRET: GOOD_SECRET };

/** The ConfigError `loadConfig` throws for `env`; fails the test when it does not throw one. */
function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe(loadConfig.name, () => {
  const sut = loadConfig;

  describe('defaults', () => {
    it('runs in development on the contract ports with the memory backend when REDIS_URL is unset', () => {
      const config = sut({});

      expect(config.production).toBe(false);
      expect(config.ingestPort).toBe(3000);
      expect(config.grpcPort).toBe(50051);
      expect(config.gatewayPort).toBe(8765);
      expect(config.stream.backend).toBe('memory');
      expect(config.stream.key).toBe('auren:events');
      expect(config.stream.maxLen).toBe(1_000_000);
      expect(config.stream.kafkaTopic).toBe('auren.events');
      expect(config.stream.hybridAck).toBe('any');
      expect(config.summaryIntervalMs).toBe(30_000);
      expect(config.maxConnections).toBe(10_000);
      expect(config.maxConnectionsPerUser).toBe(50);
      expect(config.clientMessagesPerMinute).toBe(100);
    });

    it('uses the redis backend when REDIS_URL is set', () => {
      const config = sut({ REDIS_URL: 'redis://127.0.0.1:6379' });

      expect(config.stream.backend).toBe('redis');
      expect(config.stream.redisUrl).toBe('redis://127.0.0.1:6379');
    });

    it('lets AUREN_STREAM_BACKEND win over the REDIS_URL default', () => {
      expect(
        sut({ REDIS_URL: 'redis://127.0.0.1:6379', AUREN_STREAM_BACKEND: 'memory' }).stream.backend,
      ).toBe('memory');
    });

    it('falls back to the development JWT secret outside production only', () => {
      expect(sut({}).auth.jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
      expect(sut(PROD).auth.jwtSecret).toBe(GOOD_SECRET);
    });

    it('listens on 127.0.0.1 in development and 0.0.0.0 in production, unless AUREN_HOST says otherwise', () => {
      expect(sut({}).host).toBe('127.0.0.1');
      expect(sut(PROD).host).toBe('0.0.0.0');
      expect(sut({ ...PROD, AUREN_HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    });
  });

  it('reads ports and lists', () => {
    const config = sut({
      INGEST_PORT: '4000',
      GATEWAY_PORT: '9000',
      KAFKA_BROKERS: 'a:9092, b:9092,',
      AUREN_STREAM_BACKEND: 'kafka',
    });

    expect(config.ingestPort).toBe(4000);
    expect(config.gatewayPort).toBe(9000);
    expect(config.stream.kafkaBrokers).toEqual(['a:9092', 'b:9092']);
  });

  it.each([['abc'], ['70000'], ['-1'], ['80.5']])(
    'refuses INGEST_PORT=%s, naming the variable',
    (port) => {
      const error = configError({ INGEST_PORT: port });

      expect(error.message).toContain('INGEST_PORT');
      expect(error.problems.some((p) => p.startsWith('INGEST_PORT'))).toBe(true);
    },
  );

  it('names every bad variable at once', () => {
    const error = configError({ GATEWAY_PORT: 'x', GRPC_PORT: 'y' });

    expect(error.message).toContain('GATEWAY_PORT');
    expect(error.message).toContain('GRPC_PORT');
  });

  it('refuses an unknown backend and a REDIS_URL that is not a redis URL', () => {
    expect(configError({ AUREN_STREAM_BACKEND: 'postgres' }).message).toContain(
      'AUREN_STREAM_BACKEND',
    );
    expect(configError({ REDIS_URL: 'localhost:6379' }).message).toContain('REDIS_URL');
  });

  it.each([['redis'], ['hybrid']])(
    'refuses AUREN_STREAM_BACKEND=%s without REDIS_URL',
    (backend) => {
      expect(
        configError({ AUREN_STREAM_BACKEND: backend, KAFKA_BROKERS: 'k:9092' }).message,
      ).toContain('REDIS_URL');
    },
  );

  it('refuses AUREN_STREAM_BACKEND=kafka without KAFKA_BROKERS', () => {
    expect(configError({ AUREN_STREAM_BACKEND: 'kafka' }).message).toContain('KAFKA_BROKERS');
  });

  describe('production', () => {
    it('refuses to start without AUREN_JWT_SECRET', () => {
      expect(configError({ NODE_ENV: 'production' }).message).toContain('AUREN_JWT_SECRET');
    });

    it('accepts a public key instead of a secret, also with its line breaks written as \\n', () => {
      const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString();
      const config = sut({
        NODE_ENV: 'production',
        AUREN_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'),
        AUREN_JWT_ALGORITHM: 'ES256',
      });

      expect(config.auth.jwtSecret).toBeUndefined();
      expect(config.auth.jwtPublicKey).toBe(pem);
      expect(config.auth.jwtPublicAlgorithm).toBe('ES256');
    });

    it('refuses a public key that is not a PEM public key', () => {
      expect(
        configError({ ...PROD, AUREN_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----...' }).message,
      ).toContain('AUREN_JWT_PUBLIC_KEY: not a PEM public key');
    });

    it('accepts a JWKS URL instead of a secret, with the issuer and audience it then requires', () => {
      const jwks = {
        NODE_ENV: 'production',
        AUREN_JWT_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
      };
      const config = sut({
        ...jwks,
        AUREN_JWT_ISSUER: 'https://idp.example.com/',
        AUREN_JWT_AUDIENCE: 'auren, auren-dashboard',
      });

      expect(config.auth).toMatchObject({
        jwtSecret: undefined,
        jwtIssuer: ['https://idp.example.com/'],
        jwtAudience: ['auren', 'auren-dashboard'],
        jwtClockToleranceSeconds: 30,
        jwks: {
          url: jwks.AUREN_JWT_JWKS_URL,
          timeoutMs: 5000,
          cacheSeconds: 600,
          cooldownSeconds: 30,
        },
      });
      const message = configError(jwks).message;
      expect(message).toContain('AUREN_JWT_ISSUER: required in production');
      expect(message).toContain('AUREN_JWT_AUDIENCE: required in production');
    });

    it('refuses a plain http JWKS URL unless it is on a loopback address', () => {
      const env = { ...PROD, AUREN_JWT_ISSUER: 'i', AUREN_JWT_AUDIENCE: 'a' };

      expect(
        configError({ ...env, AUREN_JWT_JWKS_URL: 'http://idp.example.com/jwks' }).message,
      ).toContain('AUREN_JWT_JWKS_URL: must be https://');
      expect(sut({ ...env, AUREN_JWT_JWKS_URL: 'http://127.0.0.1:8080/jwks' }).auth.jwks?.url).toBe(
        'http://127.0.0.1:8080/jwks',
      );
    });

    it('refuses a clock tolerance above 10 minutes and a JWKS URL that is no URL', () => {
      expect(configError({ ...PROD, AUREN_JWT_CLOCK_TOLERANCE_SECONDS: '601' }).message).toContain(
        'AUREN_JWT_CLOCK_TOLERANCE_SECONDS',
      );
      expect(configError({ ...PROD, AUREN_JWT_JWKS_URL: 'jwks.json' }).message).toContain(
        'AUREN_JWT_JWKS_URL',
      );
    });

    it('refuses a secret shorter than 32 characters', () => {
      expect(
        configError({ NODE_ENV: 'production', AUREN_JWT_SECRET: 'x'.repeat(31) }).message,
      ).toContain('AUREN_JWT_SECRET');
      expect(sut({ NODE_ENV: 'production', AUREN_JWT_SECRET: 'x'.repeat(32) }).production).toBe(
        true,
      );
    });

    it('refuses the development secret', () => {
      expect(
        configError({ NODE_ENV: 'production', AUREN_JWT_SECRET: DEVELOPMENT_JWT_SECRET }).message,
      ).toContain('AUREN_JWT_SECRET');
    });

    it('refuses test API keys, which development accepts', () => {
      expect(configError({ ...PROD, AUREN_API_KEYS: 'test-key-123' }).message).toContain(
        'AUREN_API_KEYS',
      );
      expect(sut({ AUREN_API_KEYS: 'test-key-123' }).auth.apiKeys).toEqual([
        { key: 'test-key-123' },
      ]);
    });
  });

  it('reads API keys, bound to a user or not', () => {
    const config = sut({ AUREN_API_KEYS: 'k-0123456789abcdef:alice, k-fedcba9876543210' });

    expect(config.auth.apiKeys).toEqual([
      { key: 'k-0123456789abcdef', userId: 'alice' },
      { key: 'k-fedcba9876543210' },
    ]);
  });

  it('refuses API keys shorter than 16 characters', () => {
    expect(configError({ AUREN_API_KEYS: 'short' }).message).toContain('AUREN_API_KEYS');
  });
});

describe('loadConfig with empty variables', () => {
  it('treats an empty variable as unset, not as 0', () => {
    const sut = loadConfig({ INGEST_PORT: '', GATEWAY_PORT: '' });
    expect(sut.ingestPort).toBe(3000);
    expect(sut.gatewayPort).toBe(8765);
  });

  it('keeps everything after the first colon of an API key as its user', () => {
    const sut = loadConfig({ AUREN_API_KEYS: 'key-0123456789abcdef:team:alice' });
    expect(sut.auth.apiKeys).toEqual([{ key: 'key-0123456789abcdef', userId: 'team:alice' }]);
  });
});

describe('loadConfig: NODE_ENV', () => {
  it.each(['production', 'development', 'test'])('accepts %s', (value) => {
    const env = value === 'production' ? { ...PROD } : { NODE_ENV: value };
    expect(loadConfig(env).production).toBe(value === 'production');
  });

  it('means development when unset or empty', () => {
    expect(loadConfig({}).production).toBe(false);
    expect(loadConfig({ NODE_ENV: '' }).production).toBe(false);
  });

  it.each(['prod', 'Production', 'PRODUCTION', 'dev', 'staging', ' production'])(
    'refuses %j, naming NODE_ENV, what it accepts and the value given',
    (value) => {
      const error = configError({ ...PROD, NODE_ENV: value });

      expect(error.problems).toEqual([
        `NODE_ENV: must be production, development or test (lower case), not "${value}"; unset means development`,
      ]);
    },
  );
});

describe('loadConfig: metrics', () => {
  it('serves /metrics on the app port without a token by default', () => {
    expect(loadConfig({}).metrics).toEqual({
      token: undefined,
      port: undefined,
      host: '127.0.0.1',
    });
  });

  it('reads the token, the port and the host, which defaults to the app host', () => {
    const token = 'metrics-token-0123456789';
    expect(
      loadConfig({ AUREN_METRICS_TOKEN: token, AUREN_METRICS_PORT: '9464', AUREN_HOST: '::1' })
        .metrics,
    ).toEqual({ token, port: 9464, host: '::1' });
    expect(loadConfig({ ...PROD, AUREN_METRICS_PORT: '0' }).metrics).toEqual({
      token: undefined,
      port: 0,
      host: '0.0.0.0',
    });
    expect(
      loadConfig({ ...PROD, AUREN_METRICS_PORT: '9464', AUREN_METRICS_HOST: '127.0.0.1' }).metrics
        .host,
    ).toBe('127.0.0.1');
  });

  it('refuses a short token without repeating it, and a port out of range', () => {
    const error = configError({ AUREN_METRICS_TOKEN: 'short-secret', AUREN_METRICS_PORT: '70000' });

    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toMatch(/^AUREN_METRICS_TOKEN: must be at least 16 characters/);
    expect(error.problems[1]).toMatch(/^AUREN_METRICS_PORT: /);
    expect(error.message).not.toContain('short-secret');
  });
});

describe('loadConfig: alerts', () => {
  it('allows private webhook addresses in development only, unless AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE says otherwise', () => {
    expect(loadConfig({}).alerts.webhookAllowPrivate).toBe(true);
    expect(loadConfig({ ...PROD }).alerts.webhookAllowPrivate).toBe(false);
    expect(
      loadConfig({ ...PROD, AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE: 'true' }).alerts.webhookAllowPrivate,
    ).toBe(true);
    expect(loadConfig({ AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE: '0' }).alerts.webhookAllowPrivate).toBe(
      false,
    );
  });

  it('refuses a value that is not a boolean, naming the variable', () => {
    expect(configError({ AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE: 'yes' }).problems).toEqual([
      'AUREN_ALERT_WEBHOOK_ALLOW_PRIVATE: must be true or false',
    ]);
  });
});

describe('loadConfig: Redis Cluster', () => {
  const sut = loadConfig;

  it('is a single server unless AUREN_REDIS_CLUSTER=true', () => {
    expect(sut({ REDIS_URL: 'redis://10.0.0.5:6379' }).stream.redis).toEqual({
      url: 'redis://10.0.0.5:6379',
    });
  });

  it('takes REDIS_URL as the first seed and AUREN_REDIS_CLUSTER_NODES as more', () => {
    const config = sut({
      REDIS_URL: 'redis://:pw@10.0.0.5:7000',
      AUREN_REDIS_CLUSTER: 'true',
      AUREN_REDIS_CLUSTER_NODES: '10.0.0.6:7000, 10.0.0.5:7000,redis-2.internal:7001',
    });

    expect(config.stream.redis).toEqual({
      url: 'redis://:pw@10.0.0.5:7000',
      cluster: { seeds: ['10.0.0.5:7000', '10.0.0.6:7000', 'redis-2.internal:7001'] },
    });
    // The rate limits share REDIS_URL, so its cluster too.
    expect(config.rateLimit.redis).toBe(config.stream.redis);
  });

  it('defaults the seed port to 6379', () => {
    const config = sut({ REDIS_URL: 'redis://cache', AUREN_REDIS_CLUSTER: '1' });

    expect(config.stream.redis?.cluster?.seeds).toEqual(['cache:6379']);
  });

  it('refuses a database other than 0, a bad node, and a cluster without a URL, naming each', () => {
    expect(
      configError({
        REDIS_URL: 'redis://10.0.0.5:7000/2',
        AUREN_REDIS_CLUSTER: 'true',
        AUREN_REDIS_CLUSTER_NODES: '10.0.0.6,10.0.0.7:99999',
      }).message,
    ).toEqual(
      expect.stringMatching(
        /REDIS_URL: Redis Cluster has only database 0; remove "\/2"[\s\S]*AUREN_REDIS_CLUSTER_NODES: "10\.0\.0\.6" is not host:port[\s\S]*"10\.0\.0\.7:99999" is not host:port/,
      ) as unknown,
    );
    expect(configError({ AUREN_REDIS_CLUSTER: 'true' }).message).toContain(
      'AUREN_REDIS_CLUSTER: needs REDIS_URL',
    );
    expect(configError({ AUREN_REDIS_CLUSTER: 'yes' }).message).toContain(
      'AUREN_REDIS_CLUSTER: must be true or false',
    );
  });

  it('refuses cluster nodes without AUREN_REDIS_CLUSTER=true', () => {
    expect(
      configError({ REDIS_URL: 'redis://a:1', AUREN_REDIS_CLUSTER_NODES: 'b:2' }).message,
    ).toContain('AUREN_REDIS_CLUSTER_NODES: only used with AUREN_REDIS_CLUSTER=true');
  });

  it('refuses a stream key whose "}" has no hash tag (its keys could not share a slot)', () => {
    expect(configError({ AUREN_STREAM_KEY: 'auren}events' }).message).toContain(
      'AUREN_STREAM_KEY: "auren}events" has a "}" but no hash tag',
    );
    expect(sut({ AUREN_STREAM_KEY: 'auren:{eu}:events' }).stream.key).toBe('auren:{eu}:events');
  });
});
