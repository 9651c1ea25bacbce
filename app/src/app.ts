// Composition root: builds the database, the policies, the routes and the HTTP server from a Config.
// Tests call startServer({ config, database }) and talk to it over real HTTP on port 0.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ExponentialBackoff,
  TimeoutStrategy,
  fullJitterGenerator,
  handleAll,
  isBrokenCircuitError,
  isBulkheadRejectedError,
  retry,
  timeout,
} from 'cockatiel';
import { type Config, loadConfig } from './config';
import { HEALTH_PATHS } from './contract';
import { RotatingCredentials, type SecretFetcher } from './db/credentials';
import { OutcomeUnknownError, isReadOnly, isTransient } from './db/errors';
import { migrate } from './db/migrations';
import { createPgDatabase } from './db/pg';
import { createPgliteDatabase } from './db/pglite';
import { ResilientDatabase } from './db/policies';
import { secretsManagerFetcher } from './db/secrets-manager';
import type { Database } from './db/types';
import { DeepCheck, Lifecycle, live, ready } from './health';
import { MAX_BODY_BYTES, readJson } from './http/body';
import { HttpError, errorBody, outcomeUnknown, unavailable } from './http/errors';
import { type JsonResponse, Router, parseTarget } from './http/router';
import { createLogger, requestLogger, stdoutOutput, type Logger } from './logger';
import { LruCache } from './messages/cache';
import { MessagesRepository, type Message } from './messages/repository';
import { registerMessageRoutes } from './messages/routes';
import { fetchTaskInfo, type TaskInfo } from './metadata';
import { Metrics } from './metrics';
import { drainAndClose } from './shutdown';

export interface AppOptions {
  /** @default - loadConfig(process.env) */
  readonly config?: Config;
  /** An already-open database (tests inject PGlite or a fault-injecting wrapper); the caller closes it.
   *  @default - opened from config.db and closed by shutdown() */
  readonly database?: Database;
  /** @default - pino JSON logs on stdout at config.logLevel */
  readonly logger?: Logger;
  /** Where EMF metric lines go. @default - stdout, through the same writer as the logs */
  readonly metricsSink?: (line: string) => void;
  /** @default - read from the ECS task metadata endpoint when present */
  readonly taskInfo?: TaskInfo;
  /** Reads the database secret when config.db.secretArn is set (tests pass a fake).
   *  @default - GetSecretValue from AWS Secrets Manager */
  readonly secretFetcher?: SecretFetcher;
}

export interface App {
  readonly config: Config;
  readonly server: Server;
  readonly lifecycle: Lifecycle;
  readonly database: Database;
  readonly resilient: ResilientDatabase;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** API requests holding one of the MAX_IN_FLIGHT slots right now (health checks and bodies still arriving take none). */
  readonly inFlight: number;
  /** Starts listening and runs migrations in the background; resolves with the base URL once listening. */
  listen(port?: number, host?: string): Promise<string>;
  /** Resolves when migrations are done and readiness answers 200. */
  readonly ready: Promise<void>;
  /** Drain (readiness 503 at once, keep serving drainMs), stop accepting, finish in-flight work, close the pool. */
  shutdown(options?: { drainMs?: number }): Promise<void>;
}

/** Turns anything a handler threw into the HTTP error to send. Unknown errors become a generic 500. */
export function toHttpError(err: unknown, resilient: Pick<ResilientDatabase, 'retryAfterSeconds'>): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof OutcomeUnknownError) return outcomeUnknown();
  if (isBrokenCircuitError(err)) {
    return unavailable('database_unavailable', 'the database is unavailable (circuit open); retry later', resilient.retryAfterSeconds());
  }
  if (isBulkheadRejectedError(err)) return unavailable('overloaded', 'too many requests waiting for the database; retry shortly', 1);
  if (isReadOnly(err)) {
    return unavailable('read_only', 'the database is a read-only replica (this region is standing by): reads work; retry the write later, with the same Idempotency-Key', 5);
  }
  if (isTransient(err)) return unavailable('database_unavailable', 'the database did not answer; retry shortly', 1);
  return new HttpError(500, 'internal', 'internal error');
}

async function openDatabase(config: Config, logger: Logger, secretFetcher?: SecretFetcher): Promise<Database> {
  // loadConfig refuses PGlite in production, so this is a laptop or a test.
  if (config.db.kind === 'pglite') return createPgliteDatabase(config.db.dataDir);
  let db = config.db;
  let credentials: RotatingCredentials | undefined;
  if (db.secretArn) {
    // Follow password rotation (db/credentials.ts): DB_SECRET is only the starting value.
    credentials = new RotatingCredentials({
      fetch: secretFetcher ?? secretsManagerFetcher(db.secretArn),
      initial: { username: db.connection.user, password: db.connection.password },
      onRefresh: ({ reason, changed }) => {
        if (changed || reason !== 'expired') logger.info({ reason, changed }, 'database secret re-read from Secrets Manager');
      },
      onError: (err, reason) => logger.warn({ reason, err: err.message }, 'could not read the database secret; keeping the cached password'),
    });
    if (!db.connection.user) {
      // No DB_SECRET/DB_USER: the username comes from the secret, so read it before the pool exists.
      await credentials.refresh('initial');
      db = { ...db, connection: { ...db.connection, user: credentials.username } };
    }
  }
  return createPgDatabase({
    db,
    credentials,
    policies: config.policies,
    applicationName: config.serviceName,
    onIdleError: (err) => logger.warn({ err: err.message }, 'idle database connection failed; discarded'),
  });
}

const HEALTH = new Set<string>(Object.values(HEALTH_PATHS));
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Repeating the request cannot do harm: a read, or a write under an Idempotency-Key. */
function retrySafe(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD' || req.headers['idempotency-key'] !== undefined;
}

export async function createApp(options: AppOptions = {}): Promise<App> {
  const config = options.config ?? loadConfig();
  // Logs and metric records go through one writer to stdout (logger.ts says why).
  const output = options.logger && options.metricsSink ? undefined : stdoutOutput();
  const logger = options.logger ?? createLogger({ level: config.logLevel, service: config.serviceName, version: config.version }, output);
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await openDatabase(config, logger, options.secretFetcher));
  const logRequest = requestLogger(logger, { service: config.serviceName, version: config.version });
  const metrics = new Metrics({ namespace: config.metricsNamespace, service: config.serviceName, sink: options.metricsSink ?? output?.writeLine });
  const lifecycle = new Lifecycle();
  const resilient = new ResilientDatabase(database, config.policies, {
    onCircuitStateChange: (state) => {
      logger.warn({ circuit: state }, 'database circuit state changed');
      metrics.setCircuitOpen(state !== 'closed');
    },
    onRetry: (attempt, delayMs, err) =>
      logger.debug({ attempt, delayMs, err: err instanceof Error ? err.message : undefined }, 'retrying database call'),
  });
  const cache = new LruCache<Message>(config.policies.cacheEntries);
  const deepCheck = new DeepCheck(database, resilient, {
    timeoutMs: config.policies.dbTimeoutMs,
    onProbeError: (err) => logger.warn({ err: err instanceof Error ? err.message : String(err), code: (err as { code?: unknown } | null)?.code }, 'deep health probe failed'),
  });
  let taskInfo: TaskInfo = options.taskInfo ?? {};
  if (!options.taskInfo) void fetchTaskInfo().then((info) => (taskInfo = info));

  const router = new Router()
    .get('/', () => ({
      status: 200,
      body: { service: config.serviceName, version: config.version, availabilityZone: taskInfo.availabilityZone ?? null, taskArn: taskInfo.taskArn ?? null },
    }))
    .get(HEALTH_PATHS.live, live)
    .get(HEALTH_PATHS.ready, () => ready(lifecycle))
    .get(HEALTH_PATHS.deep, () => deepCheck.check());
  registerMessageRoutes(router, { repository: new MessagesRepository(resilient), cache });

  let inFlight = 0;
  // Sockets that were answered before their request had fully arrived (a 408, 413 or 503 sent without reading
  // the body): a later protocol error or node's request timeout on them must not write a second response.
  const answeredEarly = new WeakSet<object>();

  const send = (req: IncomingMessage, res: ServerResponse, { status, body, headers }: JsonResponse) => {
    if (res.headersSent) return; // the request deadline answered already
    const payload = JSON.stringify(body);
    // While draining, ask keep-alive clients to reconnect (to another task) after this response; decided
    // when the response is written, so requests that were in flight when the drain began close too.
    if (lifecycle.draining) res.setHeader('connection', 'close');
    if (!req.complete) answeredEarly.add(req.socket);
    res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };

  // Shedding must cost far less than serving, or an overload turns into a collapse: no Error (stack capture),
  // no warning line (the request line records the 503), one prebuilt answer.
  const shedError = unavailable('overloaded', 'the service is overloaded; retry shortly', 1);
  const SHED: JsonResponse = { status: shedError.status, body: errorBody(shedError.code, shedError.message), headers: shedError.headers };
  const SHED_CODE = shedError.code;

  /**
   * Backstop: every dependency call is bounded, but no request may outlive REQUEST_TIMEOUT_SECONDS. The handler
   * may still finish after it, so for a request that is not safe to repeat the outcome is unknown. The error is
   * built only if the deadline passes: an Error captures a stack, too dear for every request.
   */
  const withDeadline = (req: IncomingMessage, work: Promise<JsonResponse>): Promise<JsonResponse> =>
    new Promise<JsonResponse>((resolve, reject) => {
      const deadline = setTimeout(() => reject(retrySafe(req) ? unavailable('timeout', 'the request took too long', 1) : outcomeUnknown()), config.requestTimeoutMs);
      work.then(
        (value) => {
          clearTimeout(deadline);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(deadline);
          reject(err);
        },
      );
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const incomingId = req.headers['x-request-id'];
    const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    res.setHeader('x-request-id', requestId);
    let route = 'unmatched';
    let path = '';
    let holdsSlot = false;
    let closed = false;
    let errorCode: string | undefined;
    const shed = () => {
      errorCode = SHED_CODE;
      send(req, res, SHED);
    };
    res.once('close', () => {
      closed = true;
      if (holdsSlot) inFlight--;
      const latencyMs = Math.round((performance.now() - started) * 100) / 100;
      metrics.recordRequest(res.statusCode, latencyMs, { shed: errorCode === 'overloaded' });
      logRequest({ requestId, method: req.method ?? 'GET', path, route, status: res.statusCode, latencyMs, error: errorCode, aborted: !res.writableFinished });
    });
    try {
      const target = parseTarget(req.url);
      path = target.path;
      const match = router.match(req.method ?? 'GET', target.path);
      route = match.pattern;
      // Load shedding at the front door. Health checks are exempt so an overloaded task is not also declared
      // dead (which would move its load onto the others and cascade), and they take no slot either, so no
      // number of them can shed API traffic: live and ready touch nothing, deep shares one probe a second.
      const sheddable = !HEALTH.has(route);
      // Until migrations are done the schema may not exist: a query would fail (500) and count against the
      // database in the circuit breaker. Readiness already keeps the load balancer away; this covers the rest.
      if (sheddable && lifecycle.phase === 'starting') {
        throw unavailable('starting', 'the service is starting (database migrations are not done yet); retry shortly', 5);
      }
      // Full already: shed before spending anything on the body.
      if (sheddable && inFlight >= config.policies.maxInFlight) return shed();
      // The body is read before the request takes a slot: a client trickling its body in waits on its own
      // time (bounded by bodyTimeoutMs, then 408), not on capacity meant for work.
      const body = match.options.body === 'json' ? await readJson(req, MAX_BODY_BYTES, config.bodyTimeoutMs) : undefined;
      if (closed) return; // the client went away meanwhile
      if (sheddable) {
        inFlight++;
        holdsSlot = true;
        if (inFlight > config.policies.maxInFlight) return shed();
      }
      const returned = match.handler({ req, res, path: target.path, query: target.query, params: match.params, requestId, body });
      // A handler that answered synchronously (GET /, the health checks) is done: no deadline to arm.
      const result = returned instanceof Promise ? await withDeadline(req, returned) : returned;
      send(req, res, result);
    } catch (err) {
      const httpError = toHttpError(err, resilient);
      errorCode = httpError.code;
      // The request line carries the error code. A bug (500) is logged with its stack; a dependency failure
      // with the underlying message only; a shed request not at all beyond its request line: under overload
      // every extra line, let alone a stack trace, is work taken from the requests still being served.
      if (httpError.status === 500) {
        logger.error({ requestId, err: err instanceof Error ? { message: err.message, code: (err as { code?: unknown }).code, stack: err.stack } : String(err) }, httpError.message);
      } else if (httpError.status >= 500 && httpError.code !== 'overloaded' && !(err instanceof HttpError)) {
        const cause = err instanceof OutcomeUnknownError ? err.cause : err;
        logger.warn({ requestId, err: cause instanceof Error ? cause.message : String(cause), code: (cause as { code?: unknown } | null)?.code }, httpError.message);
      }
      send(req, res, { status: httpError.status, body: errorBody(httpError.code, httpError.message), headers: httpError.headers });
    }
  };

  // Node enforces headersTimeout and requestTimeout only when it sweeps its connection list, every
  // connectionsCheckingInterval (30 s by default): a 10 s header timeout then acts after up to 30 s. Sweep
  // often enough that the timeouts act within a fraction of their value.
  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      // The body has its own, shorter deadline (bodyTimeoutMs, answered 408 by the front door); node's
      // whole-request timeout, counted from the first byte of the headers, is only the backstop behind both.
      requestTimeout: config.headersTimeoutMs + config.bodyTimeoutMs + 1_000,
      connectionsCheckingInterval: Math.min(1_000, Math.ceil(config.headersTimeoutMs / 2)),
    },
    (req, res) => void handle(req, res),
  );
  // Keep idle connections open longer than the load balancer's idle timeout (60 s), or the load
  // balancer may reuse a connection the server is closing and answer 502.
  server.keepAliveTimeout = 65_000;
  // Protocol errors (malformed request line, oversized headers, header timeout) also get a JSON error, not
  // plain text. Then the socket is destroyed, not only ended: the server allows half-open connections, so a
  // client that never closes its side would otherwise keep the connection forever.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable || answeredEarly.has(socket)) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify(errorBody(status === 400 ? 'bad_request' : status === 431 ? 'headers_too_large' : 'request_timeout', STATUS_CODES[status] ?? 'bad request'));
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`, () => socket.destroy());
  });

  const migrationsAbort = new AbortController();
  let resolveReady!: () => void;
  const readyPromise = new Promise<void>((resolve) => (resolveReady = resolve));

  // Migrations retry with capped, jittered backoff until they succeed: a task that starts while the
  // database is away stays "starting" (readiness 503, liveness 200) instead of crash-looping.
  const runMigrations = async () => {
    const policy = retry(handleAll, {
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({ generator: fullJitterGenerator, initialDelay: 200, maxDelay: 5000 }),
    });
    policy.onRetry((e) => logger.warn({ attempt: e.attempt, err: 'error' in e ? e.error.message : undefined }, 'migrations failed; retrying'));
    const perAttempt = timeout(30_000, TimeoutStrategy.Aggressive);
    try {
      const applied = await policy.execute(() => perAttempt.execute(() => migrate(database)), migrationsAbort.signal);
      logger.info({ applied }, 'migrations done');
      if (lifecycle.phase === 'starting') lifecycle.phase = 'ready';
      resolveReady();
    } catch (err) {
      if (!migrationsAbort.signal.aborted) logger.error({ err: (err as Error).message }, 'migrations gave up');
    }
  };

  let shuttingDown: Promise<void> | undefined;

  const app: App = {
    config,
    server,
    lifecycle,
    database,
    resilient,
    metrics,
    logger,
    get inFlight() {
      return inFlight;
    },
    ready: readyPromise,
    async listen(port = config.port, host = config.host) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ port: address.port, database: database.kind }, 'listening');
      metrics.start(config.metricsIntervalMs);
      void runMigrations();
      return url;
    },
    shutdown(opts = {}) {
      shuttingDown ??= (async () => {
        lifecycle.phase = 'draining';
        migrationsAbort.abort();
        await drainAndClose({
          server,
          drainMs: opts.drainMs ?? config.drainMs,
          inFlightGraceMs: config.requestTimeoutMs,
          closeResources: async () => {
            metrics.stop();
            if (ownsDatabase) await database.close();
          },
          log: (msg, fields) => logger.info(fields ?? {}, msg),
        });
        lifecycle.phase = 'stopped';
      })();
      return shuttingDown;
    },
  };
  return app;
}

/** createApp + listen: what server.ts and the tests use. `url` is the base URL to call. */
export async function startServer(options: AppOptions & { port?: number; host?: string } = {}): Promise<App & { url: string }> {
  const app = await createApp(options);
  const url = await app.listen(options.port, options.host);
  return Object.assign(app, { url });
}
