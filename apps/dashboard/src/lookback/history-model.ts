/** Shaping of the History view's answers for its charts. */
import type { CostRow } from './queries';

export interface CostDay {
  day: string;
  total: number;
  /** Stacked in the order of `models` (the costliest model at the bottom). */
  segments: Array<{ model: string; cost: number; y0: number; y1: number }>;
}

export interface CostChart {
  models: Array<{ model: string; cost: number; tokens: number; events: number }>;
  days: CostDay[];
  maxDay: number;
}

/** The label of a model value (`null`: events without a model). */
export const modelName = (model: string | null): string => model ?? '(no model)';

/** `costBreakdown(by: [MODEL, DAY])` rows as stacked bars per day, models costliest first. */
export function costChart(rows: readonly CostRow[]): CostChart {
  const modelTotals = new Map<
    string,
    { model: string; cost: number; tokens: number; events: number }
  >();
  const dayMap = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const model = modelName(r.model);
    const day = r.day ? r.day.slice(0, 10) : '(all)';
    const m = modelTotals.get(model) ?? { model, cost: 0, tokens: 0, events: 0 };
    m.cost += r.cost;
    m.tokens += r.tokens;
    m.events += r.events;
    modelTotals.set(model, m);
    const perModel = dayMap.get(day) ?? new Map<string, number>();
    perModel.set(model, (perModel.get(model) ?? 0) + r.cost);
    dayMap.set(day, perModel);
  }
  const models = [...modelTotals.values()].sort(
    (a, b) => b.cost - a.cost || a.model.localeCompare(b.model),
  );
  const days = [...dayMap.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, perModel]) => {
      let y = 0;
      const segments = [];
      for (const { model } of models) {
        const cost = perModel.get(model);
        if (!cost) continue;
        segments.push({ model, cost, y0: y, y1: y + cost });
        y += cost;
      }
      return { day, total: y, segments };
    });
  return { models, days, maxDay: Math.max(0, ...days.map((d) => d.total)) };
}

/** A palette index per model name (stable across renders), 0..size-1. */
export function paletteIndex(models: readonly string[], model: string, size = 8): number {
  const i = models.indexOf(model);
  return (i < 0 ? models.length : i) % size;
}
