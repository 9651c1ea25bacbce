import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../app/src/http/errors';
import { Router, parseTarget } from '../../../app/src/http/router';

const ok = () => ({ status: 200, body: {} });

describe('Router', () => {
  const router = new Router().get('/messages', ok).post('/messages', ok).get('/messages/:id', ok);

  it('matches exact and :param routes and reports the pattern', () => {
    expect(router.match('GET', '/messages/42')).toMatchObject({ params: { id: '42' }, pattern: '/messages/:id' });
    expect(router.match('POST', '/messages/')).toMatchObject({ pattern: '/messages' });
  });

  it('serves HEAD with the GET handler', () => {
    expect(router.match('HEAD', '/messages/1').pattern).toBe('/messages/:id');
  });

  it('throws 404 for an unknown path and 405 with Allow for a known path', () => {
    expect(() => router.match('GET', '/nope')).toThrow(expect.objectContaining({ status: 404 }));
    try {
      router.match('DELETE', '/messages');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HttpError);
      expect(err).toMatchObject({ status: 405, headers: { allow: 'GET, POST' } });
    }
  });

  it('decodes parameters and turns malformed percent-encoding into 400', () => {
    expect(router.match('GET', '/messages/a%20b').params.id).toBe('a b');
    expect(() => router.match('GET', '/messages/%E0%A4%A')).toThrow(expect.objectContaining({ status: 400, code: 'invalid_path' }));
  });
});

describe('parseTarget', () => {
  it('splits path and query', () => {
    const { path, query } = parseTarget('/messages?limit=5&before=9');
    expect(path).toBe('/messages');
    expect(query.get('limit')).toBe('5');
  });

  it('accepts absolute-form and refuses garbage with 400', () => {
    expect(parseTarget('http://example.com/health/live').path).toBe('/health/live');
    expect(() => parseTarget('*')).toThrow(expect.objectContaining({ status: 400 }));
  });
});
