/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ALL_OPERATIONS } from './queries';

// The committed schema of the history service: every operation must validate against it.
const schemaPath = fileURLToPath(new URL('../../../history/schema.graphql', import.meta.url));
const schema = buildSchema(readFileSync(schemaPath, 'utf8'));

describe('queries.ts', () => {
  it.each(Object.entries(ALL_OPERATIONS))(
    '%s validates against apps/history/schema.graphql',
    (_name, text) => {
      const errors = validate(schema, parse(text));
      expect(errors.map((e) => e.message)).toEqual([]);
    },
  );

  it('would catch a wrong field name', () => {
    const errors = validate(schema, parse('{ agents { agentId } }'));
    expect(errors.length).toBeGreaterThan(0);
  });

  it('keeps every operation within the API depth limit of 8', () => {
    for (const text of Object.values(ALL_OPERATIONS)) {
      let depth = 0;
      let max = 0;
      for (const ch of text.replace(/\([^)]*\)/g, '')) {
        if (ch === '{') max = Math.max(max, ++depth);
        if (ch === '}') depth--;
      }
      expect(max).toBeLessThanOrEqual(8);
    }
  });
});
