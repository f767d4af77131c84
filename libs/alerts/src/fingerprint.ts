import { createHash } from 'node:crypto';
import type { AlertRule } from './rule';
import type { OwnerAccess } from './rule-runtime';

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Identifies what a rule's state depends on: the rule's content and what its owner may see.
 * State is kept across `setRules` and restores only while this stays the same.
 */
export function ruleFingerprint(rule: AlertRule, access: OwnerAccess): string {
  const allowed = access.allowedAgents === null ? null : [...access.allowedAgents].sort();
  const text = stableJson({ rule, access: { seesAllUsers: access.seesAllUsers, allowed } });
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
