import { describe, expect, it } from 'vitest';
import { ForceLayout } from './force-layout';

const dist = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  Math.hypot(a.x - b.x, a.y - b.y);

describe('ForceLayout', () => {
  it('places every node at distinct, finite positions', () => {
    const layout = new ForceLayout();
    const nodes = ['a', 'b', 'c', 'd'];
    expect(
      layout.update(nodes, [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
        { source: 'c', target: 'a' },
      ]),
    ).toBe(true);
    const points = nodes.map((n) => layout.get(n)!);
    for (const p of points) {
      expect(Number.isFinite(p.x)).toBe(true);
      expect(Number.isFinite(p.y)).toBe(true);
    }
    for (let i = 0; i < points.length; i++)
      for (let j = i + 1; j < points.length; j++)
        expect(dist(points[i], points[j])).toBeGreaterThan(20);
  });

  it('keeps placed nodes where they are when nodes are added, and puts a newcomer near its partner', () => {
    const layout = new ForceLayout();
    layout.update(
      ['a', 'b', 'c'],
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'c' },
      ],
    );
    const before = ['a', 'b', 'c'].map((n) => ({ ...layout.get(n)! }));
    expect(layout.update(['a', 'b', 'c'], [{ source: 'a', target: 'b' }])).toBe(false);
    expect(
      layout.update(
        ['a', 'b', 'c', 'd'],
        [
          { source: 'a', target: 'b' },
          { source: 'b', target: 'c' },
          { source: 'c', target: 'd' },
        ],
      ),
    ).toBe(true);
    expect(['a', 'b', 'c'].map((n) => layout.get(n))).toEqual(before);
    const d = layout.get('d')!;
    const c = layout.get('c')!;
    const a = layout.get('a')!;
    expect(dist(d, c)).toBeLessThan(dist(d, a) + 1e-9);
  });

  it('is deterministic', () => {
    const run = () => {
      const layout = new ForceLayout();
      layout.update(['x', 'y', 'z'], [{ source: 'x', target: 'y' }]);
      return ['x', 'y', 'z'].map((n) => layout.get(n));
    };
    expect(run()).toEqual(run());
  });

  it('bounds the drawing with padding', () => {
    const layout = new ForceLayout();
    layout.update(['a', 'b'], [{ source: 'a', target: 'b' }]);
    const box = layout.bounds(['a', 'b'], 50);
    for (const id of ['a', 'b']) {
      const p = layout.get(id)!;
      expect(p.x).toBeGreaterThanOrEqual(box.x + 50 - 1e-9);
      expect(p.x).toBeLessThanOrEqual(box.x + box.width - 50 + 1e-9);
    }
    expect(layout.bounds([])).toEqual({ x: -320, y: -190, width: 640, height: 380 });
    // A small graph keeps a minimum box, centred on it.
    const small = layout.bounds(['a', 'b'], 50);
    expect(small.width).toBeGreaterThanOrEqual(640);
  });
});
