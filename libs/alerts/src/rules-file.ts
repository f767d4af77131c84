import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import {
  problem,
  RuleValidationError,
  validateRules,
  type AlertRule,
  type RuleValidationOptions,
} from './rule';
import type { WebhookUrlOptions } from './webhook-url';

/** Rules files (`AUREN_ALERT_RULES_FILE`): YAML or JSON, `{rules: [...]}` or a bare list. */

export const RULES_FILE_MAX_BYTES = 1024 * 1024;

type Format = 'yaml' | 'json';

function formatOf(file: string): Format | undefined {
  const extension = extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (extension === '.json') return 'json';
  return undefined;
}

function fileError(file: string, reason: string): RuleValidationError {
  return new RuleValidationError([problem('', '', reason, file)]);
}

function parseDocument(text: string, format: Format, file: string): unknown {
  try {
    if (format === 'json') return JSON.parse(text) as unknown;
    // Core schema only (no custom tags), duplicate keys refused, alias expansion bounded.
    return parseYaml(text, { schema: 'core', uniqueKeys: true, maxAliasCount: 100 }) as unknown;
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos
        ? `line ${error.linePos[0].line}, column ${error.linePos[0].col}: `
        : '';
      // The library's message repeats the position at its end; it is already in front.
      const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw fileError(file, `${where}${reason}`);
    }
    throw fileError(file, `not valid ${format.toUpperCase()}: ${(error as Error).message}`);
  }
}

/**
 * The rules of one file's text; `file` names it in errors and chooses the format by its
 * extension (`.yaml`, `.yml`, `.json`). Throws {@link RuleValidationError}.
 */
export function parseRulesText(
  text: string,
  file: string,
  options: WebhookUrlOptions = {},
): AlertRule[] {
  const format = formatOf(file);
  const name = file;
  if (!format) throw fileError(name, 'the file name must end in .yaml, .yml or .json');
  const document = parseDocument(text, format, name);
  const validation: RuleValidationOptions = { ...options, file: name };
  if (Array.isArray(document)) return validateRules(document, validation);
  if (typeof document === 'object' && document !== null) {
    const extra = Object.keys(document).filter((key) => key !== 'rules');
    if (extra.length > 0) {
      throw new RuleValidationError(
        extra.map((key) =>
          problem('', key, 'unknown field (the top level holds only "rules")', name),
        ),
      );
    }
    if ('rules' in document) return validateRules(document.rules, validation);
  }
  throw fileError(name, 'must hold a list of rules, or an object whose "rules" is that list');
}

/** Reads and validates a rules file. Throws {@link RuleValidationError} naming the file. */
export async function loadRulesFile(
  path: string,
  options: WebhookUrlOptions = {},
): Promise<AlertRule[]> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > RULES_FILE_MAX_BYTES) {
      throw fileError(path, `is larger than ${RULES_FILE_MAX_BYTES} bytes`);
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof RuleValidationError) throw error;
    throw fileError(path, `cannot be read: ${(error as Error).message}`);
  }
  return parseRulesText(text, path, options);
}
