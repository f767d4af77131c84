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
