import { Injectable } from '@nestjs/common';
import type { PerformanceSummaryMessage, StreamedEvent, Viewer } from '@auren/contracts';
import type { AurenServer } from '../connections/socket-types';

export type SummaryData = PerformanceSummaryMessage['data'];

/**
 * Per-agent performance and collaboration figures computed from the stream, and per-pod system
 * figures. STUB: to be implemented (issue 4 part 3).
 */
@Injectable()
export class SummaryService {
  private received = 0;
  private sent = 0;

  /** Hot path: called once per live event, before it is emitted. Must stay O(1). */
  record(_event: StreamedEvent): void {
    this.received += 1;
  }

  /** Hot path: how many connections the last emit reached. */
  countSent(recipients: number): void {
    this.sent += recipients;
  }

  /** Rebuilds the figures from history up to and including `through`, before live events flow. */
  warmUp(_through: string): Promise<void> {
    return Promise.resolve();
  }

  attach(_server: AurenServer): void {}

  summaryFor(_viewer: Viewer): SummaryData {
    return {
      agents: {},
      collaboration: {},
      system: { active_connections: 0, events_received: this.received, events_sent: this.sent, uptime_seconds: 0 },
    };
  }
}
