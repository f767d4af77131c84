import { ConfigError } from '@auren/config';
import { parseOptions, readRecord, streamTarget, TargetError, UsageError } from './tail';

describe('tail options', () => {
  it('starts at the end of the stream, unfiltered, by default', () => {
    expect(parseOptions([])).toEqual({
      from: undefined,
      last: undefined,
      filter: { agents: [], types: [] },
      json: false,
      count: undefined,
      backend: undefined,
      help: false,
    });
  });

  it('reads positions, filters and output flags', () => {
    expect(
      parseOptions([
        '--from',
        '1732441800000-0',
        '--agent',
        'a,b',
        '--agent',
        'c',
        '--type',
        'llm_call',
        '--type',
        'custom.*',
        '--json',
        '--count',
        '2',
        '--backend',
        'kafka',
      ]),
    ).toMatchObject({
      from: '1732441800000-0',
      filter: { agents: ['a', 'b', 'c'], types: ['llm_call', 'custom.*'] },
      json: true,
      count: 2,
      backend: 'kafka',
    });
    expect(parseOptions(['--from', 'k:16,8,0']).from).toBe('k:16,8,0');
    expect(parseOptions(['--from', '0']).from).toBe('0');
    expect(parseOptions(['--last', '10']).last).toBe(10);
  });

  it.each([
    [['--from', 'yesterday'], '--from must be a Redis stream id'],
    [['--from', '1-0', '--last', '3'], '--from and --last do not go together'],
    [['--last', '0'], '--last must be a positive integer'],
    [['--last', '-1'], "Option '--last' argument is ambiguous"],
    [['--backend', 'memory'], '--backend must be redis or kafka'],
    [['--follow'], "Unknown option '--follow'"],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});

describe('tail stream target', () => {
  it('follows what the apps write to: Redis by REDIS_URL, with their key', () => {
    const target = streamTarget({
      REDIS_URL: 'redis://127.0.0.1:6379',
      AUREN_STREAM_KEY: 'auren:{eu}:events',
      NODE_ENV: 'production',
      INGEST_PORT: 'not read',
    });
    expect(target.backend).toBe('redis');
    expect(target.config.stream).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      key: 'auren:{eu}:events',
    });
  });

  it('follows Kafka with AUREN_STREAM_BACKEND=kafka or --backend kafka', () => {
    const env = { KAFKA_BROKERS: 'k1:9092,k2:9092', AUREN_KAFKA_TOPIC: 'agents' };
    const target = streamTarget({ ...env, AUREN_STREAM_BACKEND: 'kafka' });
    expect(target.backend).toBe('kafka');
    expect(target.config.stream).toMatchObject({
      kafkaBrokers: ['k1:9092', 'k2:9092'],
      kafkaTopic: 'agents',
    });
    expect(streamTarget({ ...env, REDIS_URL: 'redis://r:6379' }, 'kafka').backend).toBe('kafka');
  });

  it('follows the Redis copy of a hybrid stream and says so', () => {
    const target = streamTarget({
      AUREN_STREAM_BACKEND: 'hybrid',
      REDIS_URL: 'redis://r:6379',
      KAFKA_BROKERS: 'k:9092',
    });
    expect(target.backend).toBe('redis');
    expect(target.note).toContain('--backend kafka');
  });

  it('refuses the memory stream, saying why and what to run instead', () => {
    expect(() => streamTarget({})).toThrow(TargetError);
    expect(() => streamTarget({})).toThrow('REDIS_URL=redis://127.0.0.1:6379 npm start');
  });

  it('reports bad variables as the apps do', () => {
    expect(() => streamTarget({ AUREN_STREAM_BACKEND: 'kafka' })).toThrow(ConfigError);
    expect(() => streamTarget({ REDIS_URL: 'localhost' })).toThrow('REDIS_URL: must look like');
  });
});

describe('tail records', () => {
  it('tells events, hybrid tombstones and poison apart', () => {
    expect(readRecord('{"event_type":"llm_call"}')).toEqual({
      kind: 'event',
      event: { event_type: 'llm_call' },
    });
    expect(readRecord('{"auren_tombstone":"evt-9"}')).toEqual({
      kind: 'tombstone',
      eventId: 'evt-9',
    });
    expect(readRecord('oops')).toEqual({ kind: 'poison', reason: 'not JSON: oops' });
    expect(readRecord('[1]')).toMatchObject({ kind: 'poison' });
    expect(readRecord(undefined)).toEqual({ kind: 'poison', reason: 'no "event" field' });
  });
});
