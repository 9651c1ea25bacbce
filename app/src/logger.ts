// JSON logs with pino: one line per request (request id, method, path, route, status, latency) plus
// lifecycle events. CloudWatch Logs Insights can query every field.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(options: { level: string; service: string; version: string }): Logger {
  // Buffered, asynchronous writes (flushed in 4 KiB blocks, and by server.ts before it exits): one
  // write(2) per ~15 request lines instead of one each, which is most of the logging cost under load.
  // A hard crash (SIGKILL, out of memory) can lose the last buffer; fatal errors flush first.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  return pino({
    level: options.level,
    base: { service: options.service, version: options.version },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: ['password', '*.password', 'connection.password', 'connectionString', '*.connectionString'],
  }, destination);
}

/** A logger that writes nothing (tests). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
