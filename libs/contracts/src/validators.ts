import { registerDecorator, ValidationOptions } from 'class-validator';
import { ALLOWED_EVENT_TYPES_TEXT, isEventType } from './event-types';

export function IsEventType(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isEventType',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `$property must be one of: ${ALLOWED_EVENT_TYPES_TEXT}`, ...options },
      validator: { validate: (value: unknown) => isEventType(value) },
    });
}

/**
 * Depth of nested objects and arrays, counted iteratively so that hostile input cannot overflow
 * the stack. A flat object has depth 1. Stops counting once `limit` is exceeded.
 */
export function nestingDepth(value: unknown, limit: number): number {
  if (value === null || typeof value !== 'object') return 0;
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (depth > max) max = depth;
    if (max > limit) return max;
    const children = Array.isArray(node) ? node : Object.values(node as object);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return max;
}

export function MaxNestingDepth(limit: number, options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'maxNestingDepth',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [limit],
      options: { message: `$property nests deeper than ${limit} levels`, ...options },
      validator: { validate: (value: unknown) => nestingDepth(value, limit) <= limit },
    });
}

/**
 * Length in Unicode code points, as JSON Schema's `minLength`/`maxLength` count it (so that the
 * OpenAPI document and the validator agree): an emoji outside the BMP is one, U+FE0F is one.
 */
export function codePointLength(value: string): number {
  let surrogatePairs = 0;
  for (let i = 0; i < value.length - 1; i += 1) {
    const unit = value.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        surrogatePairs += 1;
        i += 1;
      }
    }
  }
  return value.length - surrogatePairs;
}

/** A string of `min`..`max` code points (see {@link codePointLength}); non-strings fail. */
export function CodePoints(
  min: number,
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  const message =
    min > 0
      ? `$property must be ${min}..${max} characters`
      : `$property must be at most ${max} characters`;
  return (target, propertyName) =>
    registerDecorator({
      name: 'codePoints',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [min, max],
      options: { message, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          const length = codePointLength(value);
          return length >= min && length <= max;
        },
      },
    });
}

/**
 * RFC 3339 `date-time` (what OpenAPI's `format: date-time` means): `2025-01-24T10:30:00Z`,
 * `2025-01-24T10:30:00.123+02:00`; `T` and `Z` in either case; an offset is required; the
 * day must exist in its month. Leap seconds (`:60`) are refused: no JavaScript clock has them.
 */
const RFC3339 =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isRfc3339DateTime(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = RFC3339.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

export function IsRfc3339DateTime(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isRfc3339DateTime',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: '$property must be an RFC 3339 date-time string, such as 2025-01-24T10:30:00.000Z',
        ...options,
      },
      validator: { validate: isRfc3339DateTime },
    });
}
