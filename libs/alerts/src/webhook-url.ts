import { isIPv4, isIPv6 } from 'node:net';

/**
 * Where a webhook may point (server-side request forgery guard). The URL is checked when a rule is
 * validated; the caller checks again every address the host name resolves to, just before it
 * connects ({@link webhookAddressProblem}), because a name can resolve anywhere.
 */
export interface WebhookUrlOptions {
  /** Loopback and private addresses (127.0.0.0/8, 10/8, fc00::/7...). Default false. */
  allowPrivate?: boolean;
}

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

const WEBHOOK_URL_MAX_LENGTH = 2048;

/** Cloud instance-metadata host names, refused whatever they resolve to. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata']);

function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

/** The 16 bytes of an IPv6 address already accepted by `isIPv6` (zone id removed). */
function ipv6Bytes(text: string): number[] {
  let head = text;
  let v4Tail: number[] = [];
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.', lastColon)) {
    v4Tail = ipv4Bytes(head.slice(lastColon + 1));
    head = head.slice(0, lastColon + 1) + '0:0';
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (part: string | undefined): number[] =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const leftGroups = groups(left);
  const rightGroups = groups(right);
  const middle = new Array<number>(8 - leftGroups.length - rightGroups.length).fill(0);
  const all = right === undefined ? leftGroups : [...leftGroups, ...middle, ...rightGroups];
  const bytes = all.flatMap((group) => [group >> 8, group & 0xff]);
  if (v4Tail.length === 4) bytes.splice(12, 4, ...v4Tail);
  return bytes;
}

function classifyV4([a, b, c, d]: number[]): AddressClass {
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link_local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'private'; // carrier-grade NAT
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

function classifyV6(bytes: number[]): AddressClass {
  const zeroUpTo = (n: number): boolean => bytes.slice(0, n).every((byte) => byte === 0);
  if (zeroUpTo(16)) return 'unspecified';
  if (zeroUpTo(15) && bytes[15] === 1) return 'loopback';
  // fd00:ec2::254, the AWS metadata service over IPv6.
  const ec2 = [0xfd, 0, 0x0e, 0xc2, ...new Array<number>(10).fill(0), 0x02, 0x54];
  if (bytes.every((byte, i) => byte === ec2[i])) return 'metadata';
  const v4 = bytes.slice(12);
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d).
  if (zeroUpTo(10) && bytes[10] === 0xff && bytes[11] === 0xff) return classifyV4(v4);
  if (zeroUpTo(12)) return classifyV4(v4);
  if (bytes[0] === 0 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    if (bytes.slice(4, 12).every((byte) => byte === 0)) return classifyV4(v4);
  }
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) return 'link_local';
  if ((bytes[0] & 0xfe) === 0xfc) return 'private';
  if (bytes[0] === 0xff) return 'multicast';
  return 'public';
}

/** The class of an IP address literal (IPv6 with or without brackets), `undefined` for a name. */
export function classifyAddress(address: string): AddressClass | undefined {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (isIPv4(text)) return classifyV4(ipv4Bytes(text));
  if (isIPv6(text)) return classifyV6(ipv6Bytes(text.toLowerCase()));
  return undefined;
}

function classProblem(kind: AddressClass, options: WebhookUrlOptions): string | undefined {
  switch (kind) {
    case 'public':
      return undefined;
    case 'loopback':
    case 'private':
      return options.allowPrivate
        ? undefined
        : `${kind} addresses are refused (allowed only when private webhooks are enabled)`;
    case 'metadata':
      return 'cloud metadata addresses are refused';
    case 'link_local':
      return 'link-local addresses are refused';
    case 'unspecified':
      return 'unspecified addresses (0.0.0.0, ::) are refused';
    case 'multicast':
    case 'reserved':
      return `${kind} addresses are refused`;
  }
}

/**
 * Why a resolved address must not be connected to, or `undefined` when it may. The caller runs
 * this on each address DNS gave for the webhook host, and connects to that checked address.
 */
export function webhookAddressProblem(
  address: string,
  options: WebhookUrlOptions = {},
): string | undefined {
  const kind = classifyAddress(address);
  if (kind === undefined) return `"${address}" is not an IP address`;
  return classProblem(kind, options);
}

/** Why a webhook URL is refused, or `undefined` when it is acceptable. */
export function webhookUrlProblem(
  url: string,
  options: WebhookUrlOptions = {},
): string | undefined {
  if (url.length > WEBHOOK_URL_MAX_LENGTH) {
    return `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http or https URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `must use http or https (got ${parsed.protocol.slice(0, -1)})`;
  }
  if (parsed.username || parsed.password) {
    return 'must not carry credentials (use the webhook secret to authenticate)';
  }
  // The URL parser already turned 0x7f.1, 2130706433 and friends into dotted IPv4.
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  if (host === '') return 'must name a host';
  if (METADATA_HOSTS.has(host)) return 'cloud metadata addresses are refused';
  const kind: AddressClass | undefined =
    host === 'localhost' || host.endsWith('.localhost') ? 'loopback' : classifyAddress(host);
  if (kind === undefined) return undefined;
  const problem = classProblem(kind, options);
  return problem && `host ${parsed.hostname}: ${problem}`;
}
