import { originAllowed } from './origin-check';

describe(originAllowed.name, () => {
  const allowed = ['https://dash.example.com', 'http://localhost:5173'];

  it.each([
    ['a listed origin', 'https://dash.example.com', 'gw.example.com', allowed, true],
    ['an unlisted origin', 'https://evil.example', 'gw.example.com', allowed, false],
    ['another port of a listed host', 'http://localhost:5174', 'gw:8765', allowed, false],
    ['no Origin header (not a browser)', undefined, 'gw.example.com', allowed, true],
    ['the gateway own origin', 'https://gw.example.com', 'gw.example.com', allowed, true],
    ['a malformed Origin', 'null', 'gw.example.com', allowed, false],
    ['anything when no list is set', 'https://evil.example', 'gw.example.com', [], true],
  ])('%s', (_, origin, host, list, expected) => {
    expect(originAllowed(origin, host, list)).toBe(expected);
  });
});
