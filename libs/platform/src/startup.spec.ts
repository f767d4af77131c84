import { StartupLogger } from './startup';

describe(StartupLogger.name, () => {
  let written: string[];
  let stdout: jest.SpyInstance;
  let stderr: jest.SpyInstance;
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };

  beforeEach(() => {
    written = [];
    stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => {
    stdout.mockRestore();
    stderr.mockRestore();
    jest.useRealTimers();
  });

  it('holds every line while starting and prints them in order on release', () => {
    const sut = new StartupLogger();
    sut.log('first', 'A');
    sut.error('second', undefined, 'B');
    sut.warn('third', 'C');
    expect(written).toEqual([]);

    sut.release();
    sut.log('after', 'D');

    expect(
      written.map((line) => /\[(\w)\] .*?(first|second|third|after)/.exec(line)?.slice(1)),
    ).toEqual([
      ['A', 'first'],
      ['B', 'second'],
      ['C', 'third'],
      ['D', 'after'],
    ]);
  });

  it('discard forgets what was held, so a failed start prints only its own line', () => {
    const sut = new StartupLogger();
    sut.log('Nest application successfully started', 'NestApplication');
    sut.error('Error: listen EADDRINUSE', 'NestApplication');

    sut.discard();
    sut.log('later', 'X');

    expect(written).toHaveLength(1);
    expect(written[0]).toContain('later');
  });

  it('forget drops only the held lines that mention the text', () => {
    const sut = new StartupLogger();
    sut.error('No address added out of total 1 resolved', 'grpc-js');
    sut.log('kept', 'Y');

    sut.forget('No address added');
    sut.release();

    expect(written).toHaveLength(1);
    expect(written[0]).toContain('kept');
  });

  it('a start still going after holdMs prints what it held and logs as usual from then on', () => {
    jest.useFakeTimers();
    const sut = new StartupLogger(1000);
    sut.log('waiting for Redis', 'Z');

    jest.advanceTimersByTime(1000);
    sut.log('next', 'Z');

    expect(written).toHaveLength(3);
    expect(written[0]).toContain('Still starting after 1 s');
    expect(written[1]).toContain('waiting for Redis');
    expect(written[2]).toContain('next');
  });
});
