/**
 * `textContains` of match rules: a case-insensitive substring search over the string values of a
 * JSON value (keys are not searched). No regular expressions anywhere, so nothing backtracks; the
 * walk is bounded in depth and in the number of values visited.
 */
const MAX_DEPTH = 32;
const MAX_VALUES = 10_000;

const budget = { left: 0 };

function walk(node: unknown, needle: string, depth: number): boolean {
  if (--budget.left < 0) return false;
  if (typeof node === 'string') return node.toLowerCase().includes(needle);
  if (typeof node !== 'object' || node === null || depth >= MAX_DEPTH) return false;
  if (Array.isArray(node)) {
    for (const child of node as unknown[]) if (walk(child, needle, depth + 1)) return true;
    return false;
  }
  for (const name in node) {
    if (walk((node as Record<string, unknown>)[name], needle, depth + 1)) return true;
  }
  return false;
}

/** `needle` must already be lower case. */
export function containsText(value: unknown, needle: string): boolean {
  budget.left = MAX_VALUES;
  return walk(value, needle, 0);
}
