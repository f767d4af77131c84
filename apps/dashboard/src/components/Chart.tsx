import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  /** Accessible summary of what the chart shows (canvas has no text of its own). */
  label: string;
  /** Changes when the series set changes (the chart is then rebuilt; otherwise only its data). */
  structureKey: string;
  options: () => Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  height?: number;
  testId?: string;
}

/** A uPlot chart that follows its container's width and takes new data without a rebuild. */
export function Chart({ label, structureKey, options, data, height = 180, testId }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const chart = new uPlot(
      { ...options(), width: Math.max(200, element.clientWidth), height },
      latest.current,
      element,
    );
    plot.current = chart;
    drawn.current = latest.current;
    const observer = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(200, element.clientWidth), height }),
    );
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // `options` is read only when the structure changes (structureKey says when).
  }, [structureKey, height]);

  // New data redraws the chart in a task of its own, one chart per task, and only when the
  // figures differ from those drawn: a view's re-render and its charts' redraws never add up
  // to one long task.
  const drawn = useRef(data);
  useEffect(() => {
    if (!plot.current) return;
    return scheduleDraw(() => {
      const chart = plot.current;
      if (!chart || sameData(drawn.current, latest.current)) return;
      drawn.current = latest.current;
      chart.setData(latest.current);
    });
  }, [data]);

  return <div className="chart" ref={box} role="img" aria-label={label} data-testid={testId} />;
}

const drawQueue: Array<() => void> = [];
let drawTimer: ReturnType<typeof setTimeout> | undefined;

function drainOne(): void {
  drawTimer = undefined;
  drawQueue.shift()?.();
  if (drawQueue.length) drawTimer = setTimeout(drainOne, 0);
}

/** Runs `draw` in a task of its own after those queued before it; answers a cancel. */
export function scheduleDraw(draw: () => void): () => void {
  drawQueue.push(draw);
  drawTimer ??= setTimeout(drainOne, 0);
  return () => {
    const at = drawQueue.indexOf(draw);
    if (at !== -1) drawQueue.splice(at, 1);
  };
}

/** Same series, same figures (the chart need not redraw). */
export function sameData(a: uPlot.AlignedData, b: uPlot.AlignedData): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let s = 0; s < a.length; s++) {
    const x = a[s];
    const y = b[s];
    if (x === y) continue;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  }
  return true;
}

/** Colours of series, readable on light and dark backgrounds. */
export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#1f77b4',
  '#8c564b',
];

/** Axis colours from the theme's CSS variables. */
export function axisStyle(): Pick<uPlot.Axis, 'stroke' | 'grid' | 'ticks'> {
  const css = getComputedStyle(document.documentElement);
  const text = css.getPropertyValue('--muted').trim() || '#666';
  const grid = css.getPropertyValue('--grid').trim() || '#ddd';
  return { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
}
