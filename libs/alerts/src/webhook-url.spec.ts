import { classifyAddress, webhookAddressProblem, webhookUrlProblem } from './webhook-url';

describe('webhookUrlProblem', () => {
  it.each([
    'https://hooks.slack.com/services/T000/B000/XXXX',
    'http://example.com:8080/alerts?x=1',
    'https://8.8.8.8/hook',
    'https://[2001:4860:4860::8888]/hook',
  ])('accepts %s', (url) => {
    expect(webhookUrlProblem(url)).toBeUndefined();
  });

  it.each([
    ['not a url', /absolute http or https URL/],
    ['ftp://example.com/', /http or https \(got ftp\)/],
    ['javascript:alert(1)', /http or https/],
    ['https://user:pw@example.com/', /credentials/],
    ['http://169.254.169.254/latest/meta-data/', /metadata/],
    ['http://[fd00:ec2::254]/', /metadata/],
    ['http://metadata.google.internal/computeMetadata/v1/', /metadata/],
    ['http://METADATA.GOOGLE.INTERNAL./', /metadata/],
    ['http://169.254.1.1/', /link-local/],
    ['http://[fe80::abcd]/', /link-local/],
    ['http://[::ffff:169.254.169.254]/', /metadata/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://127.0.0.1/', /loopback/],
    ['http://0x7f.1/', /loopback/],
    ['http://2130706433/', /loopback/],
    ['http://localhost:3000/', /loopback/],
    ['http://[::1]/', /loopback/],
    ['http://10.1.2.3/', /private/],
    ['http://192.168.0.10/', /private/],
    ['http://[fd12::1]/', /private/],
    ['http://224.0.0.1/', /multicast/],
  ])('refuses %s', (url, reason) => {
    expect(webhookUrlProblem(url)).toMatch(reason);
  });

  it('accepts loopback and private hosts only with allowPrivate, never link-local or metadata', () => {
    const options = { allowPrivate: true };
    expect(webhookUrlProblem('http://127.0.0.1:9999/hook', options)).toBeUndefined();
    expect(webhookUrlProblem('http://10.0.0.5/hook', options)).toBeUndefined();
    expect(webhookUrlProblem('http://169.254.169.254/', options)).toMatch(/metadata/);
    expect(webhookUrlProblem('http://169.254.3.3/', options)).toMatch(/link-local/);
    expect(webhookUrlProblem('http://0.0.0.0/', options)).toMatch(/unspecified/);
  });
});

describe('webhookAddressProblem', () => {
  it('checks resolved addresses the same way', () => {
    expect(webhookAddressProblem('93.184.216.34')).toBeUndefined();
    expect(webhookAddressProblem('169.254.169.254')).toMatch(/metadata/);
    expect(webhookAddressProblem('fe80::1%eth0')).toMatch(/link-local/);
    expect(webhookAddressProblem('::ffff:10.0.0.1')).toMatch(/private/);
    expect(webhookAddressProblem('64:ff9b::a9fe:a9fe')).toMatch(/metadata/);
    expect(webhookAddressProblem('127.0.0.1', { allowPrivate: true })).toBeUndefined();
    expect(webhookAddressProblem('example.com')).toMatch(/not an IP address/);
  });

  it('classifies address literals', () => {
    expect(classifyAddress('172.16.0.1')).toBe('private');
    expect(classifyAddress('172.32.0.1')).toBe('public');
    expect(classifyAddress('100.64.0.1')).toBe('private');
    expect(classifyAddress('255.255.255.255')).toBe('reserved');
    expect(classifyAddress('[2001:db8::1]')).toBe('public');
    expect(classifyAddress('ff02::1')).toBe('multicast');
    expect(classifyAddress('example.com')).toBeUndefined();
  });
});
