// A deliberately tiny, Flask-style router over node:http: exact segments and `:param` segments,
// one handler per method. The service has six routes; a framework would add more surface than it saves,
// and the hot path stays close to bare node:http (see docs/benchmarks.md).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, badRequest } from './errors';

export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** The parsed JSON body, for routes registered with `{ body: 'json' }` (read by the front door before the
   *  request takes an in-flight slot); undefined otherwise. */
  readonly body: unknown;
}

export interface RouteOptions {
  /** 'json': the route takes a JSON body, which the front door reads and parses before calling the handler.
   *  @default - no body is read (node discards one if sent) */
  readonly body?: 'json';
}

/** What a handler returns: a status, a JSON body and extra headers. */
export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Handler = (ctx: RequestContext) => Promise<JsonResponse> | JsonResponse;

interface Route {
  readonly segments: readonly string[];
  readonly handlers: Map<string, { handler: Handler; options: RouteOptions }>;
}

export interface Match {
  readonly handler: Handler;
  readonly params: Record<string, string>;
  /** The route pattern, e.g. `/messages/:id`: low-cardinality, so fit for logs and metrics. */
  readonly pattern: string;
  readonly options: RouteOptions;
}

export class Router {
  private readonly routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler, options: RouteOptions = {}): this {
    const segments = split(pattern);
    let route = this.routes.find((r) => r.segments.join('/') === segments.join('/'));
    if (!route) {
      route = { segments, handlers: new Map() };
      this.routes.push(route);
    }
    route.handlers.set(method.toUpperCase(), { handler, options });
    return this;
  }

  get(pattern: string, handler: Handler, options?: RouteOptions): this {
    return this.on('GET', pattern, handler, options);
  }

  post(pattern: string, handler: Handler, options?: RouteOptions): this {
    return this.on('POST', pattern, handler, options);
  }

  /** Finds the handler, or throws 404 (no such path) / 405 (path exists, method does not). */
  match(method: string, path: string): Match {
    const parts = split(path);
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      // HEAD is served by the GET handler; node:http omits the body.
      const entry = route.handlers.get(method) ?? (method === 'HEAD' ? route.handlers.get('GET') : undefined);
      const pattern = '/' + route.segments.join('/');
      if (!entry) {
        const allow = [...route.handlers.keys()].join(', ');
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${pattern}`, { allow });
      }
      return { handler: entry.handler, params, pattern, options: entry.options };
    }
    throw new HttpError(404, 'not_found', 'no such resource');
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        throw badRequest('invalid_path', 'the path contains a malformed percent-encoding');
      }
    } else if (p !== parts[i]) {
      return undefined;
    }
  }
  return params;
}

/** Splits a request target into path and query without throwing on odd input (absolute-form, `//`, ...). */
export function parseTarget(target: string | undefined): { path: string; query: URLSearchParams } {
  const raw = target ?? '/';
  const q = raw.indexOf('?');
  let path = q === -1 ? raw : raw.slice(0, q);
  if (!path.startsWith('/')) {
    // absolute-form (`GET http://host/x`) is legal HTTP; anything else is not a path we serve
    try {
      path = new URL(path).pathname;
    } catch {
      throw badRequest('invalid_path', 'the request target is not a valid path');
    }
  }
  return { path, query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)) };
}
