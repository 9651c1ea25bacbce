import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isJsonContentType, readJson } from '../../../app/src/http/body';

function request(body: string | Buffer, headers: Record<string, string>): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body)]), { headers }) as unknown as IncomingMessage;
}

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['Application/JSON; charset=utf-8', true],
    ['application/merge-patch+json', true],
    ['text/json', false],
    ['text/plain', false],
    [undefined, false],
  ])('%s → %s', (header, expected) => {
    expect(isJsonContentType(header)).toBe(expected);
  });
});

describe('readJson', () => {
  it('parses a JSON body', async () => {
    await expect(readJson(request('{"text":"hi"}', { 'content-type': 'application/json' }))).resolves.toEqual({ text: 'hi' });
  });

  it('refuses a wrong content type with 415 before reading', async () => {
    await expect(readJson(request('{}', { 'content-type': 'text/plain' }))).rejects.toMatchObject({ status: 415 });
  });

  it('refuses a declared length over the limit with 413', async () => {
    await expect(readJson(request('{}', { 'content-type': 'application/json', 'content-length': '70000' }))).rejects.toMatchObject({ status: 413 });
  });

  it('refuses a streamed (chunked) body over the limit with 413', async () => {
    await expect(readJson(request('x'.repeat(100), { 'content-type': 'application/json' }), 10)).rejects.toMatchObject({ status: 413 });
  });

  it('refuses a body that does not arrive within the timeout with 408, asking to close the connection', async () => {
    const never = Object.assign(new Readable({ read: () => undefined }), { headers: { 'content-type': 'application/json' } }) as unknown as IncomingMessage;
    await expect(readJson(never, 1024, 20)).rejects.toMatchObject({ status: 408, code: 'request_timeout', headers: { connection: 'close' } });
  });

  it('turns malformed JSON into 400 invalid_json', async () => {
    await expect(readJson(request('{"a":', { 'content-type': 'application/json' }))).rejects.toMatchObject({ status: 400, code: 'invalid_json' });
  });
});
