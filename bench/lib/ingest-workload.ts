/**
 * Request bodies of the ingest scenarios (P1, P2, P4): agent events as an agent sends them — the
 * events of bench/lib/workload.ts without the server's fields (`received_at`) — each with a
 * fresh `event_id` per request, as the SDKs and scripts/generate-events.ts send them, so that
 * AUREN's idempotency check runs for every event and never finds a duplicate.
 *
 * Bodies are prebuilt templates with the event ids left out; a request is the template's parts
 * joined with new ids of a fixed length, so the Content-Length is known in advance and building
 * a request costs the load process next to nothing.
 */
import { randomBytes } from 'node:crypto';
import type { AgentEvent } from '@auren/contracts';
import { postHead, type HttpTarget } from '../load/http-client';
import { CELLS, EventFactory } from './workload';

const MARK = '\u0000ID\u0000';

/** An event as an agent sends it (no `received_at`), with `event_id` = `id`. */
export function inputEvent(factory: EventFactory, cellIndex: number, id: string): AgentEvent {
  const event = factory.event(CELLS[cellIndex % CELLS.length]);
  const input = { ...event, event_id: id } as Partial<AgentEvent>;
  delete input.received_at;
  return input as AgentEvent;
}

interface Template {
  head: string;
  parts: string[];
}

/** Fresh request texts: `events` events per body, cycling through `templates` bodies. */
export class IngestRequests {
  private readonly templates: Template[] = [];
  private readonly tag = randomBytes(4).toString('hex');
  private counter = 0;
  private nextTemplate = 0;
  /** Bytes of JSON body per request, averaged over the templates. */
  readonly avgBodyBytes: number;

  static readonly ID_LENGTH = 8 + 1 + 9;

  constructor(
    target: HttpTarget,
    readonly path: string,
    readonly eventsPerRequest: number,
    templates: number,
    seed: number,
    /** Batches (`{"events":[...]}`) rather than one event per body. */
    readonly batch: boolean,
  ) {
    const factory = new EventFactory(seed);
    let cell = 0;
    let bodyBytes = 0;
    for (let t = 0; t < templates; t += 1) {
      const events: string[] = [];
      for (let e = 0; e < eventsPerRequest; e += 1)
        events.push(JSON.stringify(inputEvent(factory, (cell += 7), MARK)));
      const body = batch ? `{"events":[${events.join(',')}]}` : events[0];
      const parts = body.split(JSON.stringify(MARK).slice(1, -1));
      if (parts.length !== eventsPerRequest + 1) throw new Error('event id marker not found');
      const bytes =
        parts.reduce((n, p) => n + Buffer.byteLength(p), 0) +
        eventsPerRequest * IngestRequests.ID_LENGTH;
      bodyBytes += bytes;
      this.templates.push({ head: postHead(target, path, bytes), parts });
    }
    this.avgBodyBytes = bodyBytes / templates;
  }

  /** A new event id: this generator's tag and a counter, always ID_LENGTH characters. */
  newId(): string {
    this.counter += 1;
    return `${this.tag}-${this.counter.toString(36).padStart(9, '0')}`;
  }

  /** The next request (head and body) with fresh event ids. */
  next(): string {
    const template = this.templates[this.nextTemplate];
    this.nextTemplate = (this.nextTemplate + 1) % this.templates.length;
    const { parts } = template;
    let text = template.head + parts[0];
    for (let i = 1; i < parts.length; i += 1) text += this.newId() + parts[i];
    return text;
  }
}
