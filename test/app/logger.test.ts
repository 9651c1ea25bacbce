// The hand-built request line must be exactly what pino would have written, and valid JSON whatever the path.
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { LOG_MAX_BUFFER_BYTES, createLogger, requestLogger, stdoutOutput, type LogOutput, type RequestLine } from '../../app/src/logger';

function capture(level = 'info') {
  const lines: string[] = [];
  const output: LogOutput = { write: (s: string) => void lines.push(s), writeLine: (s) => void lines.push(s + '\n'), flush: (cb) => cb?.() };
  const logger = createLogger({ level, service: 'svc "quoted"', version: '1.2.3' }, output);
  return { logger, lines, log: requestLogger(logger, { service: 'svc "quoted"', version: '1.2.3' }) };
}

const fields: RequestLine = { requestId: 'abc-123', method: 'POST', path: '/messages', route: '/messages', status: 503, latencyMs: 1.25, error: 'overloaded' };

describe('requestLogger', () => {
  it('writes the document pino writes for logger.info(fields, "request"), key for key and in the same order', () => {
    const { logger, lines, log } = capture();
    logger.info({ ...fields }, 'request');
    log(fields);
    const [viaPino, handBuilt] = lines.map((l) => JSON.parse(l));
    expect(Object.keys(handBuilt)).toEqual(Object.keys(viaPino));
    expect({ ...handBuilt, time: undefined }).toEqual({ ...viaPino, time: undefined });
    expect(Date.parse(handBuilt.time)).toBeGreaterThan(Date.now() - 5_000);
    expect(lines.every((l) => l.endsWith('}\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
  });

  it('escapes whatever a client put in the path, so a line stays one valid JSON document', () => {
    const { lines, log } = capture();
    const path = '/a"b\\c\n{"level":"fatal"}\u2028\u0000é';
    log({ ...fields, path, error: undefined, aborted: true });
    expect(lines).toHaveLength(1);
    expect(lines[0].split('\n')).toHaveLength(2);
    expect(JSON.parse(lines[0])).toMatchObject({ path, aborted: true, msg: 'request' });
    expect(JSON.parse(lines[0])).not.toHaveProperty('error');
  });

  it('writes nothing when the level is above info', () => {
    const { lines, log } = capture('warn');
    log(fields);
    expect(lines).toEqual([]);
  });
});

describe('stdoutOutput', () => {
  /** A stream whose unwritten backlog the test sets, like a pipe whose reader has stalled. */
  function stalled() {
    const written: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, cb) => { written.push(String(chunk)); cb(); } });
    let backlog = 0;
    Object.defineProperty(stream, 'writableLength', { get: () => backlog });
    return { stream, written, setBacklog: (n: number) => (backlog = n) };
  }

  it('drops and counts lines while the backlog is over the bound, then says how many before the next line', async () => {
    const { stream, written, setBacklog } = stalled();
    const out = stdoutOutput(stream);
    setBacklog(LOG_MAX_BUFFER_BYTES);
    for (let i = 0; i < 1000; i++) out.writeLine(JSON.stringify({ i }));
    await new Promise<void>((r) => out.flush(() => r()));
    expect(written.join('')).toBe('');
    setBacklog(0);
    out.writeLine('{"after":true}');
    await new Promise<void>((r) => out.flush(() => r()));
    const lines = written.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', dropped: 1000 }), { after: true }]);
  });
});
