/**
 * The load generator: a separate process (forked by generator.ts), so sending thousands of requests per
 * second never delays the rehearsal's own timers or its database proxy.
 *
 * Every request is recorded (send time, latency, status, transport error) and every acknowledged write is
 * reported with its id, key and text, so the rehearsal can later prove that each one is in the database.
 * Writes always carry an Idempotency-Key; reads ask for messages acknowledged earlier, mostly recent ones
 * (a hot set, as real traffic has), so the service's fallback cache has something to serve in an outage.
 */
import type { RequestRecord } from '../stats';
import { Http1Client } from './http1';
import type { AcknowledgedWrite, FromGenerator, LoadSettings, ToGenerator } from './protocol';

/**
 * Open-loop sends beyond this many unanswered requests are recorded as failures ("client_saturated")
 * without being sent. Below HAProxy's maxconn (8000), so the stand-in load balancer is never the limit.
 */
const MAX_OUTSTANDING = 7000;
const HOT_SET = 200;

let settings: LoadSettings | undefined;
let records: RequestRecord[] = [];
let acks: AcknowledgedWrite[] = [];
const known: string[] = [];
let writes = 0;
let outstanding = 0;
let sent = 0;
let stopRequested = false;
let lateMs = 0;

const send = (msg: FromGenerator) => process.send?.(msg);

function flush(): void {
  if (records.length === 0 && acks.length === 0) return;
  send({ type: 'records', records, acks });
  records = [];
  acks = [];
}
setInterval(flush, 200);

function pickId(): string | undefined {
  if (known.length === 0) return undefined;
  const hot = Math.random() < 0.8;
  const from = hot ? Math.max(0, known.length - HOT_SET) : 0;
  return known[from + Math.floor(Math.random() * (known.length - from))];
}

let client: Http1Client | undefined;

function once(): Promise<void> {
  const s = settings!;
  client ??= new Http1Client(new URL(s.baseUrl).hostname, Number(new URL(s.baseUrl).port));
  const id = Math.random() < s.writeRatio ? undefined : pickId();
  const op: RequestRecord['op'] = id === undefined ? 'write' : 'read';
  const key = op === 'write' ? `${s.runId}-${++writes}` : '';
  const text = `rehearsal ${key}`;
  const start = Date.now();
  const t0 = performance.now();
  sent++;
  outstanding++;
  const done = (status: number, extra: Partial<RequestRecord> = {}) => {
    outstanding--;
    records.push({ start, ms: Math.round((performance.now() - t0) * 10) / 10, status, op, ...extra });
  };
  const call =
    op === 'write'
      ? client.request('POST', '/messages', { 'content-type': 'application/json', 'idempotency-key': key }, JSON.stringify({ text }), s.timeoutMs)
      : client.request('GET', `/messages/${id}`, {}, undefined, s.timeoutMs);
  return call.then(
    (res) => {
      const extra: { retryAfter?: boolean; fromCache?: boolean } = {};
      if (res.retryAfter) extra.retryAfter = true;
      if (res.fromCache) extra.fromCache = true;
      if (op === 'write' && (res.status === 200 || res.status === 201)) {
        let m: { id?: unknown; text?: unknown } = {};
        try {
          m = JSON.parse(res.body) as typeof m;
        } catch {
          // handled below
        }
        if (typeof m.id !== 'string' || m.text !== text) return done(0, { error: 'bad_ack_body' });
        acks.push({ id: m.id, key, text, at: Date.now() });
        known.push(m.id);
      }
      done(res.status, extra);
    },
    (err: Error & { code?: string }) => done(0, { error: err.code ?? err.message }),
  );
}

/** Sends at `rps` on schedule until `durationMs` passes or stop is requested; returns when all are settled. */
async function openLoop(rps: number, durationMs: number): Promise<void> {
  const t0 = Date.now();
  let due = 0;
  const inflight = new Set<Promise<void>>();
  while (!stopRequested && Date.now() - t0 < durationMs) {
    const target = Math.floor(((Date.now() - t0) / 1000) * rps);
    if (target - due > rps / 10) lateMs = Math.max(lateMs, ((target - due) / rps) * 1000);
    while (due < target) {
      due++;
      if (outstanding >= MAX_OUTSTANDING) {
        records.push({ start: Date.now(), ms: 0, status: 0, op: 'read', error: 'client_saturated' });
        continue;
      }
      const p = once();
      inflight.add(p);
      void p.then(() => inflight.delete(p));
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(inflight);
}

async function closedLoop(concurrency: number, durationMs: number): Promise<void> {
  const until = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stopRequested && Date.now() < until) await once();
    }),
  );
}

let running: Promise<void> | undefined;

function finished(): void {
  flush();
  send({ type: 'finished', sent, lateMs: Math.round(lateMs) });
}

process.on('message', (msg: ToGenerator) => {
  switch (msg.type) {
    case 'configure':
      settings = msg.settings;
      return;
    case 'steady':
      stopRequested = false;
      running = openLoop(msg.rps, Number.POSITIVE_INFINITY);
      return;
    case 'open':
      stopRequested = false;
      running = openLoop(msg.rps, msg.durationMs).then(finished);
      return;
    case 'closed':
      stopRequested = false;
      running = closedLoop(msg.concurrency, msg.durationMs).then(finished);
      return;
    case 'stop':
      stopRequested = true;
      void (running ?? Promise.resolve()).then(finished);
      return;
  }
});

// The rehearsal going away (even by SIGKILL) closes the IPC channel: never outlive it.
process.on('disconnect', () => process.exit(0));
