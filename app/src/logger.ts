// JSON logs with pino: one line per request (request id, method, path, route, status, latency) plus
// lifecycle events. CloudWatch Logs Insights can query every field.
//
// Request logs and EMF metric records share stdout, and they share ONE writer (LogOutput): a write larger
// than the pipe's free space goes through in pieces, and a second writer on the same descriptor (the
// metrics used process.stdout) could slip its line between two pieces and tear both (a rehearsal with a
// slow log reader found 18 invalid lines among 367 metric records; test/app/log-output.test.ts).
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Longest time a log line may wait in the buffer before it is written. */
export const LOG_FLUSH_INTERVAL_MS = 1000;
/** Most log data held in memory while the collector is slower than the service; beyond it lines are dropped. */
export const LOG_MAX_BUFFER_BYTES = 8 * 1024 * 1024;

/** The one writer to stdout: pino writes through it, and so do the metrics (writeLine). */
export interface LogOutput extends DestinationStream {
  /** Writes one finished line (a newline is added). */
  writeLine(line: string): void;
  /** Writes what is buffered; `cb` runs when it has reached the descriptor. */
  flush(cb?: (err?: Error) => void): void;
}

/**
 * Buffered writes to stdout: lines are collected into ~4 KiB chunks (one write(2) per ~15 request lines instead
 * of one each), written by node's own stdout stream. On a pipe, which is what a container's stdout is, that
 * stream writes at once on the main thread and, when the pipe is full, keeps the rest queued and waits for the
 * pipe without blocking; pino's asynchronous destination instead hands every chunk to a thread-pool thread, and
 * on this 2-core machine `GET /` served ~43k req/s that way against ~61k this way (docs/benchmarks.md).
 * Bounded in time (a line waits at most LOG_FLUSH_INTERVAL_MS, so a crash that skips the fatal handler loses at
 * most that much) and in memory (while the collector is slower than the service, at most LOG_MAX_BUFFER_BYTES
 * wait; further lines are dropped and counted, and a warning with the count follows when the writer catches up:
 * logs must never block the event loop or exhaust the task's memory).
 */
export function stdoutOutput(stream: NodeJS.WriteStream | NodeJS.WritableStream = process.stdout): LogOutput {
  const CHUNK = 4096;
  let buffer = '';
  let dropped = 0;
  const writable = stream as NodeJS.WritableStream & { writableLength?: number };
  const flushBuffer = () => {
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if ((writable.writableLength ?? 0) + chunk.length > LOG_MAX_BUFFER_BYTES) {
      for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) dropped++;
      return;
    }
    if (dropped > 0) {
      stream.write(JSON.stringify({ level: 'warn', time: new Date().toISOString(), dropped, msg: 'log lines dropped: the log collector was slower than the service' }) + '\n');
      dropped = 0;
    }
    stream.write(chunk);
  };
  const write = (chunk: string): boolean => {
    buffer += chunk;
    if (buffer.length >= CHUNK) flushBuffer();
    return true;
  };
  const timer = setInterval(flushBuffer, LOG_FLUSH_INTERVAL_MS);
  timer.unref();
  return {
    write,
    writeLine: (line) => void write(line + '\n'),
    flush: (cb) => {
      flushBuffer();
      // An empty write's callback runs once everything written before it has been handed to the descriptor.
      stream.write('', () => cb?.());
    },
  };
}

export function createLogger(options: { level: string; service: string; version: string }, output: LogOutput = stdoutOutput()): Logger {
  return pino({
    level: options.level,
    base: { service: options.service, version: options.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: ['password', '*.password', 'connection.password', 'connectionString', '*.connectionString'],
  }, output);
}

/** The fields of the one line logged per request. */
export interface RequestLine {
  /** A UUID, or the caller's x-request-id once it matched /^[\w.:-]{1,128}$/ (nothing to escape). */
  readonly requestId: string;
  /** As node's HTTP parser accepted it: a method token (nothing to escape). */
  readonly method: string;
  readonly path: string;
  readonly route: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly error?: string;
  readonly aborted?: boolean;
}

/**
 * Writes the request line: the same JSON document pino would write for `logger.info(fields, 'request')` with
 * createLogger's settings (level label, ISO time, service and version, the fields, msg), built by hand and
 * written to the logger's own destination. It is the one line written for every request, and pino's general
 * path (a loop over the keys, serializers, redaction) cost about 5 µs of the ~30 µs a `GET /` took
 * (docs/benchmarks.md); the fields here are fixed and hold no secret, so nothing needs redacting.
 */
export function requestLogger(logger: Logger, base: { service: string; version: string }): (line: RequestLine) => void {
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  const head = '{"level":"info","time":"';
  const bindings = `","service":${JSON.stringify(base.service)},"version":${JSON.stringify(base.version)},"requestId":"`;
  // Many requests finish within the same millisecond under load: format each millisecond's time once.
  let lastMs = 0;
  let lastIso = '';
  return (l) => {
    if (!logger.isLevelEnabled('info')) return;
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastIso = new Date(now).toISOString();
    }
    stream.write(
      head + lastIso + bindings + l.requestId + '","method":"' + l.method + '","path":' + JSON.stringify(l.path) +
        ',"route":' + JSON.stringify(l.route) + ',"status":' + l.status + ',"latencyMs":' + l.latencyMs +
        (l.error === undefined ? '' : ',"error":' + JSON.stringify(l.error)) + (l.aborted ? ',"aborted":true' : '') + ',"msg":"request"}\n',
    );
  };
}

/** A logger that writes nothing (tests). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
