import { describe, expect, it } from 'vitest';
import { costChart, paletteIndex } from './history-model';

const row = (day: string, model: string | null, cost: number) => ({
  day: `${day}T00:00:00.000Z`,
  model,
  events: 1,
  inputTokens: 0,
  outputTokens: 0,
  tokens: 10,
  cost,
});

describe('costChart', () => {
  it('stacks models per day, costliest model first, days in order', () => {
    const chart = costChart([
      row('2026-12-02', 'gpt-4o', 1),
      row('2026-12-01', 'claude', 3),
      row('2026-12-01', 'gpt-4o', 0.5),
      row('2026-12-02', null, 0.25),
    ]);
    expect(chart.models.map((m) => [m.model, m.cost])).toEqual([
      ['claude', 3],
      ['gpt-4o', 1.5],
      ['(no model)', 0.25],
    ]);
    expect(chart.days.map((d) => [d.day, d.total])).toEqual([
      ['2026-12-01', 3.5],
      ['2026-12-02', 1.25],
    ]);
    expect(chart.days[0].segments).toEqual([
      { model: 'claude', cost: 3, y0: 0, y1: 3 },
      { model: 'gpt-4o', cost: 0.5, y0: 3, y1: 3.5 },
    ]);
    expect(chart.maxDay).toBe(3.5);
  });
  it('is empty for no rows', () => {
    expect(costChart([])).toEqual({ models: [], days: [], maxDay: 0 });
  });
  it('gives stable palette slots', () => {
    expect(paletteIndex(['a', 'b'], 'b')).toBe(1);
    expect(paletteIndex(['a', 'b'], 'zzz')).toBe(2);
    expect(paletteIndex(['a'], 'a', 1)).toBe(0);
  });
});
