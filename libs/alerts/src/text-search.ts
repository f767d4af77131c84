/**
 * `textContains` of match rules: a case-insensitive substring search over the string values of a
 * JSON value (keys are not searched). No regular expressions anywhere, so nothing backtracks; the
 * walk is bounded in depth and in the number of values visited.
 */
const MAX_DEPTH = 32;
const MAX_VALUES = 10_000;

/** `needle` must already be lower case. */
export function containsText(value: unknown, needle: string): boolean {
  let budget = MAX_VALUES;
  const walk = (node: unknown, depth: number): boolean => {
    if (--budget < 0) return false;
    if (typeof node === 'string') return node.toLowerCase().includes(needle);
    if (typeof node !== 'object' || node === null || depth >= MAX_DEPTH) return false;
    const children = Array.isArray(node) ? (node as unknown[]) : Object.values(node);
    for (const child of children) {
      if (walk(child, depth + 1)) return true;
    }
    return false;
  };
  return walk(value, 0);
}
