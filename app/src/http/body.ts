// Request-body reading with the limits the API promises: 415 for a wrong content type, 413 above
// the size limit (checked against Content-Length up front and against the bytes actually received),
// 408 when the body does not arrive in time, 400 for malformed JSON. Nothing a client sends can make
// this throw anything but an HttpError. The front door (app.ts) reads the body before the request
// takes an in-flight slot, so a slow client waits on its own time, not on capacity meant for work.
import type { IncomingMessage } from 'node:http';
import { HttpError, badRequest } from './errors';

/** Bodies above this are refused with 413 (64 KiB: a 1000-character message needs at most ~4 KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'payload_too_large', `the request body must be at most ${limit} bytes`);
}

/** 408 and close the connection: the rest of the body may still be on its way, and reading it to keep
 *  the connection would give the slow client more of our time. */
export function bodyTimeout(timeoutMs: number): HttpError {
  return new HttpError(408, 'request_timeout', `the request body did not arrive within ${timeoutMs} ms`, { connection: 'close' });
}

/** Reads the raw body, refusing more than `limit` bytes or a body not complete within `timeoutMs` (0: no limit). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES, timeoutMs = 0): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    // Do not read it: node:http discards the unread body after the response. We keep the
    // connection open rather than resetting it, so the client reliably receives the 413.
    return Promise.reject(tooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            if (failed) return;
            failed = true; // later chunks are discarded until the connection closes
            chunks.length = 0;
            reject(bodyTimeout(timeoutMs));
          }, timeoutMs)
        : undefined;
    const settle = () => clearTimeout(timer);
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        settle();
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      settle();
      if (!failed) resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      settle();
      if (!failed) {
        failed = true;
        reject(new HttpError(400, 'bad_request', `could not read the request body: ${err.message}`));
      }
    });
  });
}

/** Checks the content type, reads the body (within `timeoutMs`, 0: no limit) and parses it as JSON. */
export async function readJson(req: IncomingMessage, limit = MAX_BODY_BYTES, timeoutMs = 0): Promise<unknown> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new HttpError(415, 'unsupported_media_type', 'the request body must be application/json');
  }
  const body = await readBody(req, limit, timeoutMs);
  if (body.length === 0) throw badRequest('invalid_json', 'the request body is empty; send a JSON object');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('invalid_json', 'the request body is not valid JSON');
  }
}
