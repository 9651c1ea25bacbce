/**
 * Statistics over the load generator's request records: pure functions, unit tested in
 * test/tools/rehearsal/stats.test.ts.
 */

/** One request as the load generator saw it. Times are epoch milliseconds (Date.now() clock). */
export interface RequestRecord {
  /** When the request was sent. */
  readonly start: number;
  /** Latency in milliseconds (time to the complete response, or to the transport error). */
  readonly ms: number;
  /** HTTP status; 0 when no response arrived (connection error or client timeout). */
  readonly status: number;
  /** 'read' (GET /messages/:id) or 'write' (POST /messages with an Idempotency-Key). */
  readonly op: 'read' | 'write';
  /** Transport error code (ECONNRESET, timeout, ...) when status is 0. */
  readonly error?: string;
  /** The response carried a Retry-After header. */
  readonly retryAfter?: boolean;
  /** The read was served from the service's fallback cache (x-served-from: cache). */
  readonly fromCache?: boolean;
}

/** A request failed when the user did not get a 2xx answer. */
export function isFailure(r: Pick<RequestRecord, 'status'>): boolean {
  return r.status < 200 || r.status >= 300;
}

/**
 * Nearest-rank percentile (p in [0, 100]) of an unsorted list; undefined for an empty list.
 * Nearest rank never interpolates, so the value is always one that was really observed.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be between 0 and 100, got ${p}`);
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Requests that were sent in [from, to). */
export function inWindow(records: readonly RequestRecord[], from: number, to: number): RequestRecord[] {
  return records.filter((r) => r.start >= from && r.start < to);
}

export interface Summary {
  readonly requests: number;
  readonly failedRequests: number;
  /** failedRequests / requests (0 for no requests). */
  readonly errorRate: number;
  /** p99 latency of every request, failed ones included. */
  readonly p99Ms: number | null;
  /** Count per HTTP status ("0" for transport errors), for the report. */
  readonly statuses: Readonly<Record<string, number>>;
}

export function summarize(records: readonly RequestRecord[]): Summary {
  const failedRequests = records.filter(isFailure).length;
  const statuses: Record<string, number> = {};
  for (const r of records) {
    const key = r.status === 0 ? `0:${r.error ?? 'error'}` : String(r.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  return {
    requests: records.length,
    failedRequests,
    errorRate: records.length === 0 ? 0 : round(failedRequests / records.length, 6),
    p99Ms: roundOrNull(percentile(records.map((r) => r.ms), 99)),
    statuses,
  };
}

/**
 * When the service was healthy again after a fault: the send time of the first request after the last
 * failed one (in send order), provided that every request from there to the end of the window succeeded
 * for at least `stableMs`. Returns:
 *  - `faultAt` itself when no request sent after the fault failed (users saw nothing);
 *  - undefined when the service had not been stable for `stableMs` by the end of the window.
 */
export function recoveredAt(records: readonly RequestRecord[], faultAt: number, windowEnd: number, stableMs: number): number | undefined {
  const after = records.filter((r) => r.start >= faultAt && r.start < windowEnd).sort((a, b) => a.start - b.start);
  let lastFailure = -1;
  after.forEach((r, i) => {
    if (isFailure(r)) lastFailure = i;
  });
  if (lastFailure === -1) return faultAt;
  const next = after[lastFailure + 1];
  if (next === undefined || windowEnd - next.start < stableMs) return undefined;
  return next.start;
}

/** Seconds between two epoch-millisecond times, rounded to 0.1 s; null when either is missing. */
export function secondsBetween(from: number | undefined, to: number | undefined): number | null {
  if (from === undefined || to === undefined) return null;
  return round((to - from) / 1000, 1);
}

/** Accepted (2xx) requests per second over a window of `durationMs`. */
export function throughput(records: readonly RequestRecord[], durationMs: number): number {
  if (durationMs <= 0) return 0;
  return round(records.filter((r) => !isFailure(r)).length / (durationMs / 1000), 1);
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined ? null : round(value, 1);
}
