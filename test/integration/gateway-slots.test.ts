import { CredentialVerifier } from '@auren/auth';
import type { ConnectErrorData } from '@auren/contracts';
import { ConnectionRegistry, Slot } from '../../apps/gateway/src/connections/connection-registry';
import { ConnectionsGateway } from '../../apps/gateway/src/connections/connections.gateway';
import type { AurenServer } from '../../apps/gateway/src/connections/socket-types';
import { RunningApp, startGateway, testConfig } from '../harness/apps';
import { connectClient, ConnectedClient, refusal } from '../harness/clients';
import {
  connectAndCloseInOnePost,
  PollingSession,
  RawWebSocket,
  type ConnectOutcome,
} from '../harness/engine-io';
import { signHs } from '../harness/jwt';
import { readMetrics, sample } from '../harness/metrics';
import { nextEvent, waitFor } from '../harness/wait';

const SECRET = 'slots-secret-slots-secret-slots-0123456789';
const PER_USER = 3;
const PER_POD = 6;
const MESSAGES_PER_MINUTE = 10;
const tokenOf = (user: string) => signHs({ sub: user }, SECRET);

/** A promise the test resolves by hand: holds a handshake inside the (async) verifier. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const refusedWith = (outcome: ConnectOutcome): ConnectErrorData | undefined =>
  'refused' in outcome ? outcome.refused : undefined;

/**
 * Issue 10 §1: a connection slot is held exactly while a socket is connected. One test per path
 * by which a handshake can end; after each, the slot and socket counters are back where they
 * should be (on /metrics and in the registry) and the same user can connect again.
 */
describe('Gateway connection slots', () => {
  let gateway: RunningApp;
  let registry: ConnectionRegistry;
  let verifier: CredentialVerifier;
  let io: AurenServer;
  const clients: ConnectedClient[] = [];

  const connect = async (user: string, transports = ['websocket']) => {
    const client = await connectClient(gateway.url, { token: tokenOf(user) }, transports);
    clients.push(client);
    return client;
  };
  /** The engine.io connection of a session id, while it is open. */
  const engineConnection = (sid: string) =>
    (io.engine as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[
      sid
    ];
  const counters = async () => {
    const text = await readMetrics(gateway.url);
    return {
      sockets: sample(text, 'auren_gateway_connections'),
      slots: sample(text, 'auren_gateway_connection_slots'),
      abandoned: sample(text, 'auren_gateway_handshakes_abandoned_total') ?? 0,
    };
  };
  /** Waits until /metrics and the registry agree on `count` sockets and slots. */
  const atRest = (count: number) =>
    waitFor(
      async () => {
        const c = await counters();
        return c.sockets === count && c.slots === count && registry.slots === count && c;
      },
      { what: `${count} sockets and ${count} slots (registry: ${registry.slots})` },
    );
  /** The user can still take every one of its slots. */
  const userCanConnectFully = async (user: string) => {
    const mine = [];
    for (let i = 0; i < PER_USER; i++)
      mine.push(await connect(user, i % 2 ? ['polling'] : ['websocket']));
    expect(registry.slotsOf(user)).toBe(PER_USER);
    for (const client of mine) client.close();
    await atRest(0);
  };

  beforeAll(async () => {
    const config = await testConfig({
      AUREN_JWT_SECRET: SECRET,
      AUREN_MAX_CONNECTIONS: String(PER_POD),
      AUREN_MAX_CONNECTIONS_PER_USER: String(PER_USER),
      AUREN_CLIENT_MESSAGES_PER_MINUTE: String(MESSAGES_PER_MINUTE),
    });
    gateway = await startGateway(config);
    registry = gateway.app.get(ConnectionRegistry);
    verifier = gateway.app.get(CredentialVerifier);
    // The Socket.IO server, to close an engine.io transport at an exact moment.
    io = gateway.app.get<ConnectionsGateway, { server: AurenServer }>(ConnectionsGateway).server;
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const client of clients.splice(0)) client.close();
    await atRest(0);
  });
  afterAll(async () => {
    await gateway?.close();
  });

  it('holds nothing for a handshake refused for its token (raw polling)', async () => {
    const session = await PollingSession.open(gateway.url);
    expect(refusedWith(await session.connect({ token: 'not-a-jwt' }))?.code).toBe('AUTH_FAILED');
    await session.close();
    await atRest(0);
    await userCanConnectFully('alice');
  });

  it('holds nothing for a handshake refused at the user limit, and frees a slot on leave', async () => {
    const three = [await connect('bob'), await connect('bob', ['polling']), await connect('bob')];
    const session = await PollingSession.open(gateway.url);
    expect(refusedWith(await session.connect({ token: tokenOf('bob') }))?.code).toBe(
      'USER_CONNECTION_LIMIT',
    );
    await session.close();
    await atRest(3);
    three[1].close();
    await atRest(2);
    await connect('bob', ['polling']);
    await atRest(3);
  });

  it('holds nothing for a handshake refused at pod capacity; readiness says so', async () => {
    for (let i = 0; i < PER_POD; i++) await connect(`user-${i % 2}-${i}`);
    await atRest(PER_POD);
    const ready = await fetch(`${gateway.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: Record<string, unknown> }).error).toEqual({
      connections: { status: 'down', message: `at capacity: ${PER_POD} of ${PER_POD} connections` },
    });
    expect((await refusal(gateway.url, { token: tokenOf('carol') })).code).toBe(
      'SERVER_AT_CAPACITY',
    );
    const session = await PollingSession.open(gateway.url);
    expect(refusedWith(await session.connect({ token: tokenOf('carol') }))?.code).toBe(
      'SERVER_AT_CAPACITY',
    );
    await session.close();
    await atRest(PER_POD);
    for (const client of clients.splice(0)) client.close();
    await atRest(0);
    expect((await fetch(`${gateway.url}/health/ready`)).status).toBe(200);
    await userCanConnectFully('carol');
  });

  it('leaks nothing on the exact trigger (CONNECT then CLOSE in one polling POST) x100', async () => {
    for (let i = 0; i < 100; i += 10) {
      const statuses = await Promise.all(
        Array.from({ length: 10 }, () =>
          connectAndCloseInOnePost(gateway.url, { token: tokenOf('mallory') }),
        ),
      );
      expect(statuses).toEqual(Array(10).fill(200));
    }
    await atRest(0);
    expect(registry.slotsOf('mallory')).toBe(0);
    await userCanConnectFully('mallory');
    // And the pod is not locked out either: every slot can be taken.
    for (let i = 0; i < PER_POD; i++) await connect(`innocent-${i}`);
    await atRest(PER_POD);
  });

  it.each([['polling'], ['websocket']])(
    'releases a slot whose transport closes after it was taken, before connection (%s)',
    async (transport) => {
      const raw =
        transport === 'polling'
          ? await PollingSession.open(gateway.url)
          : await RawWebSocket.open(gateway.url);
      const sid = raw.sid;
      const taken: Slot[] = [];
      const reserve = registry.reserve.bind(registry);
      jest.spyOn(registry, 'reserve').mockImplementation((user) => {
        const slot = reserve(user);
        if (typeof slot !== 'string') taken.push(slot);
        // The transport goes away between the reservation and Socket.IO's `connection`
        // (a microtask: after the middleware's next(), before Socket.IO's process.nextTick).
        queueMicrotask(() => engineConnection(sid)?.close());
        return slot;
      });
      const connected = jest.fn();
      io.once('connection', connected);

      if (raw instanceof PollingSession)
        await raw.send(`40${JSON.stringify({ token: tokenOf('dan') })}`);
      else raw.sendConnect({ token: tokenOf('dan') });

      await waitFor(() => taken.length === 1 && !taken[0].isHeld, {
        what: 'the slot to be taken, then released',
      });
      await atRest(0);
      expect(connected).not.toHaveBeenCalled();
      io.off('connection', connected);
      if (raw instanceof RawWebSocket) await raw.kill();
      jest.restoreAllMocks();
      await userCanConnectFully('dan');
    },
  );

  it.each([['polling'], ['websocket']])(
    'takes no slot when the transport closes during the asynchronous verification (%s)',
    async (transport) => {
      const held = gate();
      const entered = jest.fn();
      const verify = verifier.verifyHandshake.bind(verifier);
      jest.spyOn(verifier, 'verifyHandshake').mockImplementation((token: unknown) => {
        entered();
        return held.opened.then(() => verify(token));
      });
      const before = (await counters()).abandoned;

      if (transport === 'polling') {
        const session = await PollingSession.open(gateway.url);
        await session.send(`40${JSON.stringify({ token: tokenOf('erin') })}`);
        await waitFor(() => entered.mock.calls.length === 1, { what: 'the verifier to run' });
        await session.close();
        await waitFor(() => !engineConnection(session.sid), { what: 'the session to close' });
      } else {
        const socket = await RawWebSocket.open(gateway.url);
        socket.sendConnect({ token: tokenOf('erin') });
        await waitFor(() => entered.mock.calls.length === 1, { what: 'the verifier to run' });
        await socket.kill();
        await waitFor(() => !engineConnection(socket.sid), { what: 'the transport to close' });
      }
      held.open();

      await waitFor(async () => (await counters()).abandoned === before + 1, {
        what: 'auren_gateway_handshakes_abandoned_total to count it',
      });
      await atRest(0);
      jest.restoreAllMocks();
      await userCanConnectFully('erin');
    },
  );

  it.each([
    [
      'throws',
      () => {
        throw new Error('verifier exploded');
      },
    ],
    ['rejects', () => Promise.reject(new Error('JWKS unreachable'))],
  ])('refuses with SERVER_AT_CAPACITY and holds nothing when the verifier %s', async (_, fail) => {
    jest.spyOn(verifier, 'verifyHandshake').mockImplementation(fail);
    const refused = await refusal(gateway.url, { token: tokenOf('frank') });
    expect(refused).toEqual({
      code: 'SERVER_AT_CAPACITY',
      message: 'this gateway cannot verify credentials right now; retry later',
    });
    const session = await PollingSession.open(gateway.url);
    expect(refusedWith(await session.connect({ token: tokenOf('frank') }))?.code).toBe(
      'SERVER_AT_CAPACITY',
    );
    await session.close();
    await atRest(0);
    jest.restoreAllMocks();
    await userCanConnectFully('frank');
  });

  it('releases the slots of normal disconnects: client, server, vanished transport', async () => {
    const byClient = await connect('gina', ['polling']);
    const byServer = await connect('gina');
    const vanished = await RawWebSocket.open(gateway.url);
    vanished.sendConnect({ token: tokenOf('gina') });
    expect('connected' in (await vanished.outcome())).toBe(true);
    await atRest(3);

    byClient.close();
    await atRest(2);
    const serverSide = io.sockets.sockets.get(byServer.socket.id ?? '');
    expect(serverSide).toBeDefined();
    serverSide?.disconnect(true);
    await atRest(1);
    await vanished.kill();
    await atRest(0);
    await userCanConnectFully('gina');
  });

  it('shares the client-message budget between all connections of a user, not other users', async () => {
    const ping = async (client: ConnectedClient) =>
      ((await client.socket.timeout(5000).emitWithAck('ping', {})) as { type: string }).type;
    /** A message over the budget is dropped: no acknowledgement, an `error` event instead. */
    const refused = async (client: ConnectedClient) => {
      const error = nextEvent<{ code: string }>(client.socket, 'error');
      client.socket.emit('ping', {});
      return (await error).code;
    };
    const first = await connect('jo');
    const second = await connect('jo', ['polling']);
    const other = await connect('kim');
    // Six on one connection and four on the other: the user's ten.
    for (let i = 0; i < 6; i++) expect(await ping(first)).toBe('pong');
    for (let i = 0; i < 4; i++) expect(await ping(second)).toBe('pong');
    expect(await refused(second)).toBe('RATE_LIMITED');
    expect(await refused(first)).toBe('RATE_LIMITED');
    // Another user has its own budget.
    for (let i = 0; i < MESSAGES_PER_MINUTE; i++) expect(await ping(other)).toBe('pong');
    expect(await refused(other)).toBe('RATE_LIMITED');
  });

  // Last: the gateway stays drained.
  it('drain releases every slot, refuses new handshakes and reports not ready', async () => {
    await connect('hal');
    await connect('hal', ['polling']);
    await connect('ida');
    // One handshake held inside the verifier while the pod drains.
    const held = gate();
    const verify = verifier.verifyHandshake.bind(verifier);
    const entered = jest.fn();
    jest.spyOn(verifier, 'verifyHandshake').mockImplementation((token: unknown) => {
      entered();
      return held.opened.then(() => verify(token));
    });
    const session = await PollingSession.open(gateway.url);
    const pending = session.connect({ token: tokenOf('hal') });
    await waitFor(() => entered.mock.calls.length === 1, { what: 'the verifier to run' });
    await atRest(3);

    gateway.app.get(ConnectionsGateway).onModuleDestroy();
    await atRest(0);
    held.open();
    expect(refusedWith(await pending)).toEqual({
      code: 'SERVER_AT_CAPACITY',
      message: 'this gateway is shutting down; reconnect (to another pod) or retry later',
    });
    await session.close();
    await atRest(0);
    const ready = await fetch(`${gateway.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { error: Record<string, unknown> }).error).toEqual({
      connections: { status: 'down', message: 'draining: refusing new connections' },
    });
    clients.splice(0);
  });
});
