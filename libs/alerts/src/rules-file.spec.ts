import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleValidationError } from './rule';
import { loadRulesFile, parseRulesText } from './rules-file';

const YAML_RULES = `
rules:
  - id: cost-runaway
    name: Cost runaway
    owner: alice
    severity: critical
    condition: { kind: threshold, metric: cost_sum, op: ">", value: 10, window: 5m }
  - id: stalled
    owner: alice
    condition:
      kind: absence
      after: 2m
`;

function errorOf(run: () => unknown): RuleValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof RuleValidationError) return error;
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

describe('parseRulesText', () => {
  it('reads YAML with a top-level rules list', () => {
    const rules = parseRulesText(YAML_RULES, 'alerts.yaml');
    expect(rules.map((rule) => [rule.id, rule.condition.kind])).toEqual([
      ['cost-runaway', 'threshold'],
      ['stalled', 'absence'],
    ]);
    expect(rules[1].condition).toEqual({ kind: 'absence', after: 120_000 });
  });

  it('reads a bare JSON list', () => {
    const json = JSON.stringify([
      { id: 'm', owner: 'bob', condition: { kind: 'match', filter: { success: false } } },
    ]);
    expect(parseRulesText(json, 'rules.json')[0].id).toBe('m');
  });

  it('names the file, the rule and the field in errors', () => {
    const text = YAML_RULES.replace('window: 5m', 'window: 0s');
    expect(errorOf(() => parseRulesText(text, '/etc/auren/alerts.yml')).message).toBe(
      '/etc/auren/alerts.yml: rule "cost-runaway": condition.window: must be between 1s and 7d (got "0s")',
    );
  });

  it('reports YAML syntax errors with their line, and duplicate keys', () => {
    const broken = errorOf(() => parseRulesText('rules:\n  - id: [unclosed\n', 'a.yaml'));
    expect(broken.problems[0].message).toMatch(/^a\.yaml: line \d+, column \d+: /);
    const duplicate = errorOf(() => parseRulesText('rules: []\nrules: []\n', 'a.yaml'));
    expect(duplicate.message).toBe('a.yaml: line 2, column 1: Map keys must be unique');
  });

  it('refuses other extensions, other top-level fields and other shapes', () => {
    expect(errorOf(() => parseRulesText('[]', 'rules.txt')).message).toMatch(
      /rules\.txt: the file name must end in \.yaml, \.yml or \.json/,
    );
    expect(errorOf(() => parseRulesText('{"rules": [], "extra": 1}', 'r.json')).message).toBe(
      'r.json: extra: unknown field (the top level holds only "rules")',
    );
    expect(errorOf(() => parseRulesText('"text"', 'r.json')).message).toMatch(/list of rules/);
    expect(errorOf(() => parseRulesText('{"rules": {}}', 'r.json')).message).toBe(
      'r.json: rules: must be a list of rules',
    );
  });
});

describe('loadRulesFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'auren-alerts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file from disk', async () => {
    const path = join(dir, 'alerts.yaml');
    writeFileSync(path, YAML_RULES);
    await expect(loadRulesFile(path)).resolves.toHaveLength(2);
  });

  it('names a missing file', async () => {
    const path = join(dir, 'missing.yaml');
    await expect(loadRulesFile(path)).rejects.toThrow(`${path}: cannot be read`);
  });
});
