/**
 * A minimal HTTP/1.1 keep-alive client for the load generator. node:http's client costs several times more
 * CPU per request, and on a 2-core machine every cycle the generator spends is taken from the service it
 * measures. It handles exactly what the rehearsal needs: one request at a time per connection, responses
 * with Content-Length (the service and HAProxy always send it), and the few headers the report uses.
 */
import { connect, type Socket } from 'node:net';

export interface Response {
  readonly status: number;
  readonly retryAfter: boolean;
  readonly fromCache: boolean;
  readonly body: string;
}

export interface ParsedHead {
  readonly status: number;
  readonly contentLength: number;
  readonly retryAfter: boolean;
  readonly fromCache: boolean;
  readonly close: boolean;
}

/** Parses a response head (status line and headers, without the blank line). Pure; unit tested. */
export function parseHead(head: string): ParsedHead {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
  let contentLength = -1;
  let retryAfter = false;
  let fromCache = false;
  let close = lines[0].startsWith('HTTP/1.0');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon < 1) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') contentLength = Number(value);
    else if (name === 'retry-after') retryAfter = true;
    else if (name === 'x-served-from') fromCache = value === 'cache';
    else if (name === 'connection') close = value.toLowerCase() === 'close';
    else if (name === 'transfer-encoding') throw new Error(`unsupported transfer-encoding ${value}`);
  }
  if (!(contentLength >= 0)) throw new Error('response without content-length');
  return { status: Number(m[1]), contentLength, retryAfter, fromCache, close };
}

interface Pending {
  resolve(r: Response): void;
  reject(e: Error & { code?: string }): void;
}

class Connection {
  readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private head: ParsedHead | undefined;
  private headLength = 0;
  pending: Pending | undefined;
  closed = false;

  constructor(host: string, port: number, onIdleClose: (c: Connection) => void) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (err: Error & { code?: string }) => {
      this.closed = true;
      const p = this.pending;
      this.pending = undefined;
      if (p) p.reject(err);
      else onIdleClose(this);
    };
    this.socket.on('error', (err: NodeJS.ErrnoException) => fail(Object.assign(new Error(err.message), { code: err.code ?? 'socket_error' })));
    this.socket.on('close', () => fail(Object.assign(new Error('connection closed before the response'), { code: 'closed_early' })));
  }

  send(raw: string, pending: Pending): void {
    this.pending = pending;
    this.socket.write(raw);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    if (!this.head) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      try {
        this.head = parseHead(this.buf.subarray(0, end).toString('latin1'));
      } catch (err) {
        this.socket.destroy(Object.assign(err as Error, { code: 'bad_response' }));
        return;
      }
      this.headLength = end + 4;
    }
    const total = this.headLength + this.head.contentLength;
    if (this.buf.length < total) return;
    const head = this.head;
    const body = this.buf.subarray(this.headLength, total).toString('utf8');
    this.buf = Buffer.alloc(0);
    this.head = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (head.close) {
      this.closed = true;
      this.socket.destroy();
    }
    p?.resolve({ status: head.status, retryAfter: head.retryAfter, fromCache: head.fromCache, body });
  }
}

/** A pool of keep-alive connections to one server; opens a new one whenever none is idle. */
export class Http1Client {
  private readonly idle: Connection[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  request(method: 'GET' | 'POST', path: string, headers: Readonly<Record<string, string>>, body: string | undefined, timeoutMs: number): Promise<Response> {
    let raw = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const [k, v] of Object.entries(headers)) raw += `${k}: ${v}\r\n`;
    raw += body === undefined ? '\r\n' : `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    let conn = this.idle.pop();
    while (conn && conn.closed) conn = this.idle.pop();
    const c = conn ?? new Connection(this.host, this.port, (x) => this.drop(x));
    return new Promise<Response>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.pending = undefined;
        c.closed = true;
        c.socket.destroy();
        reject(Object.assign(new Error('timeout'), { code: 'timeout' }));
      }, timeoutMs);
      c.send(raw, {
        resolve: (r) => {
          clearTimeout(timer);
          if (!c.closed) this.idle.push(c);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private drop(c: Connection): void {
    const i = this.idle.indexOf(c);
    if (i !== -1) this.idle.splice(i, 1);
  }
}
