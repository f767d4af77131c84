import {
  establishedLines,
  messageLine,
  parseOptions,
  refusalHint,
  transportCause,
  UsageError,
} from './test-connection';

describe('test-connection options', () => {
  it('defaults to the local gateway, no token, nothing else in the handshake', () => {
    expect(parseOptions([], {})).toEqual({
      url: 'http://127.0.0.1:8765',
      auth: {},
      json: false,
      count: undefined,
      timeoutMs: 10_000,
      help: false,
    });
  });

  it('reads GATEWAY_PORT, AUREN_GATEWAY_URL and AUREN_GATEWAY_TOKEN; flags win', () => {
    expect(parseOptions([], { GATEWAY_PORT: '9000' }).url).toBe('http://127.0.0.1:9000');
    const env = { AUREN_GATEWAY_URL: 'https://gw.example.com', AUREN_GATEWAY_TOKEN: 'jwt-env' };
    expect(parseOptions([], env)).toMatchObject({
      url: 'https://gw.example.com',
      auth: { token: 'jwt-env' },
    });
    expect(parseOptions(['--token', 'test-flag'], env).auth.token).toBe('test-flag');
  });

  it('names the handshake flags after the auth fields, in either spelling', () => {
    const options = parseOptions(
      [
        '--agent-filter',
        'neuroscientist,coach',
        '--agent_filter',
        'sleep',
        '--subscriptions',
        'llm_usage',
        '--subscriptions',
        'tool_usage',
        '--performance_threshold',
        '0.8',
        '--resume-from',
        '1732441800000-0',
        '--json',
        '--count',
        '3',
        '--timeout',
        '2000',
      ],
      {},
    );

    expect(options).toMatchObject({
      auth: {
        agent_filter: ['neuroscientist', 'coach', 'sleep'],
        subscriptions: ['llm_usage', 'tool_usage'],
        performance_threshold: 0.8,
        resume_from: '1732441800000-0',
      },
      json: true,
      count: 3,
      timeoutMs: 2000,
    });
  });

  it('sends an empty subscription list when asked to (subscribe to nothing)', () => {
    expect(parseOptions(['--subscriptions', ''], {}).auth.subscriptions).toEqual([]);
  });

  it('leaves the threshold range to the gateway but refuses what is not a number', () => {
    expect(parseOptions(['--performance-threshold', '2'], {}).auth.performance_threshold).toBe(2);
    expect(() => parseOptions(['--performance-threshold', 'high'], {})).toThrow(
      '--performance-threshold must be a number from 0 to 1, got "high"',
    );
  });

  it.each([
    [['--nope'], "Unknown option '--nope'"],
    [['--url', 'localhost:8765'], '--url must be http(s):// or ws(s)://'],
    [['--url', 'not a url'], '--url must be a URL'],
    [['--count', '0'], '--count must be an integer of at least 1'],
    [['--timeout', '5'], '--timeout must be an integer of at least 100'],
    [['extra'], 'extra'],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseOptions(argv, {})).toThrow(UsageError);
    expect(() => parseOptions(argv, {})).toThrow(message);
  });
});

describe('test-connection output', () => {
  it('says what to do about every refusal code of the contract', () => {
    expect(refusalHint('AUTH_REQUIRED')).toContain('--token');
    expect(refusalHint('AUTH_FAILED')).toContain('JWT');
    expect(refusalHint('TOKEN_EXPIRED')).toContain('fresh token');
    expect(refusalHint('BAD_HANDSHAKE')).toContain('--performance-threshold');
    expect(refusalHint('SERVER_AT_CAPACITY')).toContain('another gateway');
    expect(refusalHint('USER_CONNECTION_LIMIT')).toContain('AUREN_MAX_CONNECTIONS_PER_USER');
  });

  it('names the network cause behind socket.io-client transport errors', () => {
    const error = (description: unknown) =>
      Object.assign(new Error('xhr poll error'), { description });
    expect(transportCause(error(new Error('connect ECONNREFUSED 127.0.0.1:9')))).toBe(
      'xhr poll error: connect ECONNREFUSED 127.0.0.1:9',
    );
    expect(transportCause(error(0))).toContain('no HTTP answer');
    expect(transportCause(error(502))).toBe('xhr poll error: HTTP 502');
    expect(transportCause(new Error('websocket error'))).toBe('websocket error');
  });

  it('prints the handshake answer with its resume outcome', () => {
    const lines = establishedLines({
      type: 'connection_established',
      connection_id: 'c1',
      server_time: '2024-11-24T09:39:41.599Z',
      user_id: 'test_user',
      available_subscriptions: ['all_events'],
      subscriptions: ['all_events'],
      agent_filter: [],
      performance_threshold: 0,
      resume: { recovered: false, replayed: 3, from: '1-0', reason: 'trimmed' },
      position: '5-0',
    });
    expect(lines).toEqual([
      'connection_established: connection_id=c1 user_id=test_user server_time=2024-11-24T09:39:41.599Z',
      '  subscriptions=all_events agent_filter=(all agents) performance_threshold=0 position=5-0',
      '  resume: recovered=false replayed=3 from=1-0 reason=trimmed',
    ]);
  });

  it('prints other server messages in one line each', () => {
    expect(messageLine('stream_gap', { from: '1-0', to: '9-0', skipped: 8 })).toBe(
      'stream_gap: 8 events skipped (1-0 .. 9-0); reconnect with --resume-from 1-0 to get them',
    );
    expect(messageLine('error', { code: 'RATE_LIMITED', message: 'slow down' })).toBe(
      'error RATE_LIMITED: slow down',
    );
    expect(messageLine('something_new', { a: 1 })).toBe('something_new: {"a":1}');
  });
});
