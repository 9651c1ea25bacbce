import { describe, expect, it } from 'vitest';
import { parseHead } from '../../../tools/rehearsal/load/http1';

describe('parseHead', () => {
  it('reads the status, length and the headers the report uses', () => {
    const head = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\nContent-Length: 42\r\nConnection: close';
    expect(parseHead(head)).toEqual({ status: 503, contentLength: 42, retryAfter: true, fromCache: false, close: true });
  });

  it('sees a read served from the fallback cache, case-insensitively', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\nx-served-from: cache\r\ncontent-length: 2').fromCache).toBe(true);
    expect(parseHead('HTTP/1.1 200 OK\r\nX-Served-From: database\r\ncontent-length: 2').fromCache).toBe(false);
  });

  it('keeps HTTP/1.1 connections open unless told otherwise, closes HTTP/1.0 ones', () => {
    expect(parseHead('HTTP/1.1 200 OK\r\ncontent-length: 0').close).toBe(false);
    expect(parseHead('HTTP/1.0 200 OK\r\ncontent-length: 0').close).toBe(true);
  });

  it('refuses what it cannot frame: no length, chunked, or no status line', () => {
    expect(() => parseHead('HTTP/1.1 200 OK\r\nfoo: bar')).toThrow(/content-length/);
    expect(() => parseHead('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked')).toThrow(/transfer-encoding/);
    expect(() => parseHead('garbage')).toThrow(/bad status line/);
  });
});
