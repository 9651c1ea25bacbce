/** Messages between the rehearsal and its load generator process (Node IPC, structured clone). */
import type { RequestRecord } from '../stats';

/** A write the service acknowledged (201 created, or 200 for a repeated Idempotency-Key). */
export interface AcknowledgedWrite {
  readonly id: string;
  readonly key: string;
  readonly text: string;
  /** When the acknowledgement arrived (epoch ms). */
  readonly at: number;
}

export interface LoadSettings {
  readonly baseUrl: string;
  /** Prefix of every Idempotency-Key, unique per run. */
  readonly runId: string;
  /** A request without an answer after this long counts as hung (status 0, error "timeout"). */
  readonly timeoutMs: number;
  /** Share of requests that are writes; the rest read a message written earlier. */
  readonly writeRatio: number;
}

export type ToGenerator =
  | { readonly type: 'configure'; readonly settings: LoadSettings }
  /** Open loop: `rps` requests per second, sent on schedule whatever the answers, until `stop`. */
  | { readonly type: 'steady'; readonly rps: number }
  /** Open loop for a fixed time; answers `finished` once every request sent has been answered or timed out. */
  | { readonly type: 'open'; readonly rps: number; readonly durationMs: number }
  /** Closed loop: `concurrency` clients, each sending its next request when the last is answered. */
  | { readonly type: 'closed'; readonly concurrency: number; readonly durationMs: number }
  /** Stop sending; answers `finished` once the requests in flight have been answered or timed out. */
  | { readonly type: 'stop' };

export type FromGenerator =
  | { readonly type: 'records'; readonly records: RequestRecord[]; readonly acks: AcknowledgedWrite[] }
  | { readonly type: 'finished'; readonly sent: number; readonly lateMs: number };
