import { memo } from 'react';
import type uPlot from 'uplot';
import { Chart, PALETTE, axisStyle } from '../components/Chart';
import { formatCompact, formatCost, formatDuration } from '../format';
import type { WindowSeries } from '../live/series';

const timeAxis = (): uPlot.Axis => ({ ...axisStyle() });

/** Events per second by type, stacked (drawn as cumulative areas, top first). */
function EventsChartView({ series, theme }: { series: WindowSeries; theme: string }) {
  const types = series.types.slice(0, 10);
  const cumulative: number[][] = [];
  let running = new Array<number>(series.times.length).fill(0);
  for (const type of types) {
    running = running.map((value, i) => value + type.perSecond[i]);
    cumulative.push(running);
  }
  const order = types.map((_, i) => i).reverse();
  const data: uPlot.AlignedData = [series.times, ...order.map((i) => cumulative[i])];
  const key = `${theme}|${types.map((t) => t.type).join(',')}`;
  const total = types.reduce((sum, t) => sum + t.total, 0);
  return (
    <figure className="panel chart-panel">
      <figcaption>Events/s by type</figcaption>
      <Chart
        label={`Events per second by type: ${total} events in the window`}
        structureKey={key}
        testId="chart-events"
        data={data}
        options={() => ({
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
          axes: [timeAxis(), { ...axisStyle(), values: (_u, ticks) => ticks.map(formatCompact) }],
          series: [
            {},
            ...order.map((i) => ({
              label: types[i].type,
              stroke: PALETTE[i % PALETTE.length],
              fill: PALETTE[i % PALETTE.length],
              width: 1,
              points: { show: false },
            })),
          ],
        })}
      />
      <ul className="legend">
        {types.map((t, i) => (
          <li key={t.type}>
            <span className="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />
            {t.type} <span className="muted">{formatCompact(t.total)}</span>
          </li>
        ))}
      </ul>
    </figure>
  );
}

/** Cost ($/min) and tokens per minute. */
function CostChartView({ series, theme }: { series: WindowSeries; theme: string }) {
  const data: uPlot.AlignedData = [series.times, series.costPerMinute, series.tokensPerMinute];
  const cost = series.costPerMinute.reduce((a, b) => a + b, 0) * (series.step / 60);
  return (
    <figure className="panel chart-panel">
      <figcaption>
        Cost & tokens per minute <span className="muted">({formatCost(cost)} in the window)</span>
      </figcaption>
      <Chart
        label={`Cost and tokens per minute; ${formatCost(cost)} in the window`}
        structureKey={theme}
        testId="chart-cost"
        data={data}
        options={() => ({
          legend: { show: true },
          scales: {
            x: { time: true },
            cost: { range: (_u, _a, max) => [0, Math.max(0.001, max)] },
            tokens: { range: (_u, _a, max) => [0, Math.max(1, max)] },
          },
          axes: [
            timeAxis(),
            {
              ...axisStyle(),
              scale: 'cost',
              values: (_u, ticks) => ticks.map(formatCost),
              size: 64,
            },
            {
              ...axisStyle(),
              scale: 'tokens',
              side: 1,
              grid: { show: false },
              values: (_u, ticks) => ticks.map(formatCompact),
            },
          ],
          series: [
            {},
            {
              label: '$/min',
              scale: 'cost',
              stroke: PALETTE[1],
              width: 2,
              value: (_u, v) => (v == null ? '–' : formatCost(v)),
            },
            {
              label: 'tokens/min',
              scale: 'tokens',
              stroke: PALETTE[0],
              width: 2,
              value: (_u, v) => (v == null ? '–' : formatCompact(v)),
            },
          ],
        })}
      />
    </figure>
  );
}

/** Success rate (%) and latency p50/p95. */
function QualityChartView({ series, theme }: { series: WindowSeries; theme: string }) {
  const rate = series.successRate.map((v) => (v === null ? null : v * 100));
  const data: uPlot.AlignedData = [series.times, rate, series.p50, series.p95];
  return (
    <figure className="panel chart-panel">
      <figcaption>Success rate & latency p50/p95</figcaption>
      <Chart
        label="Success rate and latency percentiles over time"
        structureKey={theme}
        testId="chart-quality"
        data={data}
        options={() => ({
          legend: { show: true },
          scales: {
            x: { time: true },
            pct: { range: [0, 100] },
            ms: { range: (_u, _a, max) => [0, Math.max(10, max)] },
          },
          axes: [
            timeAxis(),
            { ...axisStyle(), scale: 'pct', values: (_u, ticks) => ticks.map((t) => `${t}%`) },
            {
              ...axisStyle(),
              scale: 'ms',
              side: 1,
              grid: { show: false },
              values: (_u, ticks) => ticks.map(formatDuration),
              size: 64,
            },
          ],
          series: [
            {},
            {
              label: 'success',
              scale: 'pct',
              stroke: PALETTE[2],
              width: 2,
              spanGaps: true,
              value: (_u, v) => (v == null ? '–' : `${v.toFixed(1)}%`),
            },
            {
              label: 'p50',
              scale: 'ms',
              stroke: PALETTE[0],
              width: 2,
              spanGaps: true,
              value: (_u, v) => (v == null ? '–' : formatDuration(v)),
            },
            {
              label: 'p95',
              scale: 'ms',
              stroke: PALETTE[3],
              width: 2,
              spanGaps: true,
              value: (_u, v) => (v == null ? '–' : formatDuration(v)),
            },
          ],
        })}
      />
    </figure>
  );
}

// The views re-render on every store flush; a chart's data changes only with its `series`
// (memoized by the view): without memo, each flush redrew every chart (uPlot setData).
export const EventsChart = memo(EventsChartView);
export const CostChart = memo(CostChartView);
export const QualityChart = memo(QualityChartView);
