import { metricsAccess } from './metrics-access';

describe(metricsAccess.name, () => {
  const sut = metricsAccess;
  const token = 'metrics-token-0123456789';

  it('lets anyone read when no token is configured', () => {
    expect(sut(undefined, undefined)).toBe('allowed');
    expect(sut(undefined, 'Bearer whatever')).toBe('allowed');
  });

  it('requires exactly Bearer <token> when one is configured', () => {
    expect(sut(token, `Bearer ${token}`)).toBe('allowed');
    expect(sut(token, `bearer ${token}`)).toBe('allowed');
    expect(sut(token, undefined)).toBe('unauthorized');
    expect(sut(token, token)).toBe('unauthorized');
    expect(sut(token, `Basic ${token}`)).toBe('unauthorized');
    expect(sut(token, `Bearer ${token}x`)).toBe('unauthorized');
    expect(sut(token, `Bearer ${token.slice(0, -1)}`)).toBe('unauthorized');
    expect(sut(token, 'Bearer ')).toBe('unauthorized');
  });
});
