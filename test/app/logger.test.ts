// The hand-built request line must be exactly what pino would have written, and valid JSON whatever the path.
import { describe, expect, it } from 'vitest';
import { createLogger, requestLogger, type LogOutput, type RequestLine } from '../../app/src/logger';

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
