/**
 * A force-directed layout that is run headless (a fixed number of ticks, no animation) and
 * updated incrementally: nodes already placed keep their positions (they are pinned while the
 * new ones settle), new nodes start next to a neighbour that is already placed.
 */
import {
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  forceX,
  forceY,
  type SimulationLinkDatum,
  type SimulationNodeDatum,
} from 'd3-force';

export interface Point {
  x: number;
  y: number;
}

interface SimNode extends SimulationNodeDatum {
  id: string;
}

export interface LayoutLink {
  source: string;
  target: string;
}

export class ForceLayout {
  private readonly positions = new Map<string, Point>();

  constructor(
    private readonly ticks = 300,
    private readonly incrementalTicks = 120,
  ) {}

  /** Current positions (after the last {@link update}). */
  get(id: string): Point | undefined {
    return this.positions.get(id);
  }

  /**
   * Places `nodes`: a full layout the first time, then only the nodes not placed yet. Answers
   * whether anything moved (false when every node was placed already).
   */
  update(nodes: readonly string[], links: readonly LayoutLink[]): boolean {
    const fresh = nodes.filter((id) => !this.positions.has(id));
    if (fresh.length === 0) return false;
    const known = new Set(nodes);
    const firstLayout = this.positions.size === 0;
    const neighbours = new Map<string, string[]>();
    for (const l of links) {
      if (!known.has(l.source) || !known.has(l.target)) continue;
      neighbours.set(l.source, [...(neighbours.get(l.source) ?? []), l.target]);
      neighbours.set(l.target, [...(neighbours.get(l.target) ?? []), l.source]);
    }
    const simNodes: SimNode[] = nodes.map((id, i) => {
      const placed = this.positions.get(id);
      if (placed) return { id, x: placed.x, y: placed.y, fx: placed.x, fy: placed.y };
      const anchor = (neighbours.get(id) ?? []).map((n) => this.positions.get(n)).find(Boolean);
      if (anchor) {
        // Next to a placed neighbour, on a small spiral so several new nodes do not coincide.
        const angle = i * 2.399963;
        return { id, x: anchor.x + 40 * Math.cos(angle), y: anchor.y + 40 * Math.sin(angle) };
      }
      return firstLayout ? { id } : { id, ...this.outside(i) };
    });
    const simLinks: Array<SimulationLinkDatum<SimNode>> = links
      .filter((l) => known.has(l.source) && known.has(l.target) && l.source !== l.target)
      .map((l) => ({ source: l.source, target: l.target }));
    const simulation = forceSimulation<SimNode>(simNodes)
      .force(
        'link',
        forceLink<SimNode, SimulationLinkDatum<SimNode>>(simLinks)
          .id((d) => d.id)
          .distance(110),
      )
      .force('charge', forceManyBody<SimNode>().strength(-320))
      .force('collide', forceCollide<SimNode>(38))
      .force('x', forceX<SimNode>(0).strength(0.05))
      .force('y', forceY<SimNode>(0).strength(0.05))
      .stop();
    simulation.tick(firstLayout ? this.ticks : this.incrementalTicks);
    for (const n of simNodes)
      if (!this.positions.has(n.id)) this.positions.set(n.id, { x: n.x ?? 0, y: n.y ?? 0 });
    return true;
  }

  /** The bounding box of the given nodes (padded), for the SVG viewBox. */
  bounds(
    nodes: readonly string[],
    pad = 60,
  ): { x: number; y: number; width: number; height: number } {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const id of nodes) {
      const p = this.positions.get(id);
      if (!p) continue;
      minX = Math.min(minX, p.x);
      minY = Math.min(minY, p.y);
      maxX = Math.max(maxX, p.x);
      maxY = Math.max(maxY, p.y);
    }
    if (!Number.isFinite(minX)) return { x: -320, y: -190, width: 640, height: 380 };
    // Never smaller than a typical panel: a graph of two agents is not blown up to fill it.
    const width = Math.max(640, maxX - minX + 2 * pad);
    const height = Math.max(380, maxY - minY + 2 * pad);
    const cx = (minX + maxX) / 2;
    const cy = (minY + maxY) / 2;
    return { x: cx - width / 2, y: cy - height / 2, width, height };
  }

  /** A spot outside the current drawing for an unconnected newcomer. */
  private outside(i: number): Point {
    let maxR = 0;
    for (const p of this.positions.values()) maxR = Math.max(maxR, Math.hypot(p.x, p.y));
    const angle = i * 2.399963;
    const r = maxR + 70;
    return { x: r * Math.cos(angle), y: r * Math.sin(angle) };
  }
}
