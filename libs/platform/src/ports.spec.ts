import { createServer, Server } from 'node:net';
import { describeListenFailure, ListenError, listenFailure, listenOn } from './ports';

const INGEST = { variable: 'INGEST_PORT', port: 3001, host: '127.0.0.1' };

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

describe(describeListenFailure.name, () => {
  const sut = describeListenFailure;

  it('names the variable and the port in use, and what to do, in one line', () => {
    expect(sut(INGEST, 'EADDRINUSE')).toBe(
      'INGEST_PORT 3001 is in use by another process: set INGEST_PORT to a free port',
    );
  });

  it('appends the door’s other way out', () => {
    expect(
      sut(
        {
          ...INGEST,
          variable: 'GRPC_PORT',
          alternative: '(0 picks one) or AUREN_GRPC_ENABLED=false',
        },
        'EADDRINUSE',
      ),
    ).toBe(
      'GRPC_PORT 3001 is in use by another process: set GRPC_PORT to a free port (0 picks one) or AUREN_GRPC_ENABLED=false',
    );
  });

  it('explains a privileged port and an address this machine does not have', () => {
    expect(sut({ ...INGEST, port: 80 }, 'EACCES')).toMatch(
      /^INGEST_PORT 80 needs privileges .*: set INGEST_PORT to a port above 1023$/,
    );
    expect(
      sut(
        {
          variable: 'AUREN_METRICS_PORT',
          port: 9464,
          host: '10.9.9.9',
          hostVariable: 'AUREN_METRICS_HOST',
        },
        'EADDRNOTAVAIL',
      ),
    ).toBe(
      'AUREN_METRICS_HOST 10.9.9.9 is not an address of this machine (AUREN_METRICS_PORT 9464): set AUREN_METRICS_HOST to one of its addresses, or 0.0.0.0 for all',
    );
  });

  it('never spans more than one line', () => {
    for (const failure of ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'] as const)
      expect(sut(INGEST, failure)).not.toContain('\n');
  });
});

describe(listenFailure.name, () => {
  const sut = listenFailure;

  it('reads Node’s error code, and grpc-js’s message that only names it', () => {
    expect(sut(Object.assign(new Error('listen'), { code: 'EADDRINUSE' }))).toBe('EADDRINUSE');
    expect(
      sut(
        new Error(
          'No address added out of total 1 resolved errors: [listen EACCES: permission denied 0.0.0.0:80]',
        ),
      ),
    ).toBe('EACCES');
  });

  it('leaves other errors alone', () => {
    expect(sut(new Error('boom'))).toBeUndefined();
    expect(sut('EADDRINUSE')).toBeUndefined();
  });
});

describe(listenOn.name, () => {
  const sut = listenOn;
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((s) => s.close()));

  it('turns a real EADDRINUSE into a ListenError naming the variable, exit code 69', async () => {
    const holder = createServer();
    servers.push(holder);
    await listen(holder, 0);
    const port = (holder.address() as { port: number }).port;
    const second = createServer();
    servers.push(second);

    const error = await sut({ ...INGEST, port }, () => listen(second, port)).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ListenError);
    expect((error as ListenError).message).toBe(
      `INGEST_PORT ${port} is in use by another process: set INGEST_PORT to a free port`,
    );
    expect((error as ListenError).exitCode).toBe(69);
    expect(second.listening).toBe(false);
  });

  it('passes the result through, and rethrows errors that are not about the port', async () => {
    await expect(sut(INGEST, () => Promise.resolve(42))).resolves.toBe(42);
    const boom = new Error('boom');
    await expect(sut(INGEST, () => Promise.reject(boom))).rejects.toBe(boom);
  });
});
