import { describe, expect, it } from 'vitest';
import { charLength, parseCreateBody, parseId, parseIdempotencyKey, parseListQuery } from '../../../app/src/messages/validation';

describe('parseCreateBody', () => {
  it('accepts 1 to 1000 characters', () => {
    expect(parseCreateBody({ text: 'a' })).toEqual({ text: 'a' });
    expect(parseCreateBody({ text: 'a'.repeat(1000), extra: true })).toEqual({ text: 'a'.repeat(1000) });
  });

  it.each([null, [], 'text', 42, {}, { text: 1 }, { text: '' }, { text: 'a'.repeat(1001) }, { text: 'a\u0000' }, { text: '\ud800' }])(
    'refuses %j with 400',
    (body) => {
      expect(() => parseCreateBody(body)).toThrow(expect.objectContaining({ status: 400 }));
    },
  );

  it('counts code points as PostgreSQL does', () => {
    expect(charLength('😀😀')).toBe(2);
    expect(() => parseCreateBody({ text: '😀'.repeat(1000) })).not.toThrow();
  });
});

describe('parseIdempotencyKey', () => {
  it('is optional, 1 to 200 visible ASCII characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('k'.repeat(200))).toBe('k'.repeat(200));
    for (const bad of ['', 'k'.repeat(201), 'has space', ['a', 'b']]) {
      expect(() => parseIdempotencyKey(bad)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_idempotency_key' }));
    }
  });
});

describe('parseId', () => {
  it('accepts positive bigints in canonical form', () => {
    expect(parseId('42')).toBe('42');
    expect(parseId('007')).toBe('7');
    expect(parseId('9223372036854775807')).toBe('9223372036854775807');
  });

  it.each(['0', '-1', 'abc', '1.5', '9223372036854775808', '1'.repeat(30), ''])('refuses %j', (raw) => {
    expect(() => parseId(raw)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_id' }));
  });
});

describe('parseListQuery', () => {
  it('defaults the limit to 20 and reads the cursor', () => {
    expect(parseListQuery(new URLSearchParams(''))).toEqual({ limit: 20 });
    expect(parseListQuery(new URLSearchParams('limit=100&before=5'))).toEqual({ limit: 100, before: '5' });
  });

  it.each(['limit=0', 'limit=101', 'limit=', 'limit=abc', 'limit=-1', 'before=x', 'before=0'])('refuses %s', (q) => {
    expect(() => parseListQuery(new URLSearchParams(q))).toThrow(expect.objectContaining({ status: 400 }));
  });
});
