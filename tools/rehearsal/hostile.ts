/**
 * Hostile clients: one client's misuse must never take the service away from everyone else. Each scenario runs
 * a misbehaving client through the load balancer stand-in while the steady load (the other users) goes on,
 * and records what the misbehaving client got. The verdicts (evaluate.ts) judge the other users' requests and
 * the hostile client's answers against the service's contract.
 */
import { connect } from 'node:net';
import type { Observation } from './evaluate';
import { sleep } from './processes';
import type { Rig } from './rig';
import type { WriteAudit } from './scenarios';

const DURATION_MS = 10_000;
/** Conflicting writes per burst: enough that each task sees more than its breaker threshold (5) at once. */
const BURST = 50;

function countBy(values: readonly (number | string)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

const describeStatuses = (statuses: readonly number[]) =>
  Object.entries(countBy(statuses))
    .map(([s, n]) => `${n} × ${s === '0' ? 'no answer' : s}`)
    .join(', ');

/**
 * Conflict storm: one client sends the same Idempotency-Key with different bodies, 50 at once (a client
 * retrying a write it changed in between, in a burst), two bursts a second with a new key each. The first
 * of each burst to commit creates the message (201); every other is the client's mistake (422). Racing on
 * the insert, they fail inside the database call, where none may count as a database failure, open the
 * circuit breaker and fail the other users.
 */
export async function conflictStorm(rig: Rig, audit: WriteAudit): Promise<Observation> {
  const url = `${rig.haproxy.url}/messages`;
  const runId = Date.now().toString(36);
  const post = async (key: string, text: string) => {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  };
  const from = Date.now();
  const statuses: number[] = [];
  let bursts = 0;
  let burstsWithOneCreated = 0;
  while (Date.now() - from < DURATION_MS) {
    const key = `conflict-${runId}-${++bursts}`;
    const burst = await Promise.all(Array.from({ length: BURST }, (_, i) => post(key, `body ${i} of burst ${bursts}`)));
    statuses.push(...burst);
    if (burst.filter((s) => s === 201).length === 1) burstsWithOneCreated++;
    await sleep(500);
  }
  const to = Date.now();
  rig.log(`conflict storm: ${bursts} bursts of ${BURST} writes sharing a key: ${describeStatuses(statuses)}`);
  return {
    name: 'conflict-storm',
    from,
    to,
    lostAcknowledgedWrites: audit.newlyLost(),
    measured: {
      bursts,
      burstsWithOneCreated,
      hostileRequests: statuses.length,
      hostileCreated: statuses.filter((s) => s === 201).length,
      hostileConflicts: statuses.filter((s) => s === 422).length,
      hostileOther: describeStatuses(statuses.filter((s) => s !== 201 && s !== 422)),
    },
  };
}

interface SlowResult {
  /** Status of the first response, 0 when none came. */
  readonly status: number;
  /** Milliseconds from the end of the request head to that response. */
  readonly answeredAfterMs: number;
  /** A second status line arrived on the same connection. */
  readonly secondResponse: boolean;
  /** The connection was closed after the answer. */
  readonly closed: boolean;
}

/**
 * One client that trickles a request body, a byte a second: the head arrives at once, the body never does in
 * time. `connections` of them at once, more than all tasks' in-flight slots together.
 */
function slowBody(port: number, key: string, observeMs: number): Promise<SlowResult> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ text: 'this body arrives one byte a second' });
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let headSentAt = 0;
    let status = 0;
    let answeredAfterMs = -1;
    let closed = false;
    let sent = 0;
    let trickle: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(trickle);
      clearTimeout(observe);
      socket.destroy();
      const statusLines = received.match(/HTTP\/1\.[01] \d{3}/g) ?? [];
      resolve({ status, answeredAfterMs, secondResponse: statusLines.length > 1, closed });
    };
    const observe = setTimeout(finish, observeMs);
    socket.on('connect', () => {
      socket.write(
        `POST /messages HTTP/1.1\r\nHost: rehearsal\r\nContent-Type: application/json\r\nIdempotency-Key: ${key}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
      );
      headSentAt = Date.now();
      trickle = setInterval(() => {
        if (sent < body.length - 1 && !socket.destroyed) socket.write(body[sent++]!);
      }, 1000);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (m && status === 0) {
        status = Number(m[1]);
        answeredAfterMs = Date.now() - headSentAt;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      clearInterval(trickle);
    });
  });
}

export async function slowBodies(rig: Rig, audit: WriteAudit, opts: { connections: number; bodyTimeoutMs: number }): Promise<Observation> {
  const port = Number(new URL(rig.haproxy.url).port);
  const from = Date.now();
  // Watch each connection a while after its deadline, so a late second response would be seen.
  const observeMs = opts.bodyTimeoutMs + 4000;
  const runId = Date.now().toString(36);
  const results = await Promise.all(Array.from({ length: opts.connections }, (_, i) => slowBody(port, `slow-${runId}-${i}`, observeMs)));
  const to = Date.now();
  const answered = results.filter((r) => r.status !== 0);
  const slowest = Math.max(0, ...answered.map((r) => r.answeredAfterMs));
  rig.log(`slow bodies: ${opts.connections} connections: ${describeStatuses(results.map((r) => r.status))}; slowest answer after ${slowest} ms`);
  return {
    name: 'slow-bodies',
    from,
    to,
    lostAcknowledgedWrites: audit.newlyLost(),
    measured: {
      connections: opts.connections,
      answered408: results.filter((r) => r.status === 408).length,
      otherAnswers: describeStatuses(results.filter((r) => r.status !== 408).map((r) => r.status)),
      slowestAnswerMs: slowest,
      bodyTimeoutMs: opts.bodyTimeoutMs,
      secondResponses: results.filter((r) => r.secondResponse).length,
      leftOpen: results.filter((r) => r.status !== 0 && !r.closed).length,
    },
  };
}

/**
 * Deep-check flood: many clients call /health/deep as fast as they can. It is public through the load
 * balancer, so it must be cheap and bounded: one shared database probe per task, no slot taken from the API.
 */
export async function deepFlood(rig: Rig, audit: WriteAudit, opts: { clients: number }): Promise<Observation> {
  const url = `${rig.haproxy.url}/health/deep`;
  const from = Date.now();
  const statuses: number[] = [];
  const texts = new Set<string>();
  await Promise.all(
    Array.from({ length: opts.clients }, async () => {
      while (Date.now() - from < DURATION_MS) {
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
          const text = await res.text();
          statuses.push(res.status);
          if (res.status !== 200) texts.add(text);
        } catch {
          statuses.push(0);
        }
      }
    }),
  );
  const to = Date.now();
  rig.log(`deep-check flood: ${opts.clients} clients, ${statuses.length} checks: ${describeStatuses(statuses)}`);
  return {
    name: 'deep-flood',
    from,
    to,
    lostAcknowledgedWrites: audit.newlyLost(),
    measured: {
      clients: opts.clients,
      deepChecks: statuses.length,
      deepChecksPerSecond: Math.round(statuses.length / ((to - from) / 1000)),
      deepNot200: statuses.filter((s) => s !== 200).length,
      deepBodies: [...texts].slice(0, 3).join(' | '),
    },
  };
}
