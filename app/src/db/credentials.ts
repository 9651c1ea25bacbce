// Database credentials that follow Secrets Manager rotation, without restarting the task.
//
// Why: RDS rotates the master password (every 7 days here). ECS injects DB_SECRET once, at task start,
// and never again, so a task that only knows that value fails every new connection after a rotation
// (28P01 invalid_password) as soon as its pooled connections recycle (maxLifetimeSeconds, db/pg.ts).
//
// How: when DB_SECRET_ARN is set, `pg` gets a password *function* (db/pg.ts), called for every new
// connection, backed by this cache:
//   - The password comes from memory. DB_SECRET (if present) is the starting value, so the first
//     connections need no AWS call; the secret is then read from Secrets Manager and re-read when the
//     cached copy is older than ttlMs (5 min). A routine re-read happens in the background: connections
//     keep using the cached value meanwhile, and if Secrets Manager is unreachable they keep using it.
//   - A connection that fails with 28P01 triggers an immediate re-read (single-flight, and at most one
//     per minRefreshIntervalMs, so a burst of failures costs one GetSecretValue call). Connections
//     opened while that re-read runs wait for it. If it brings a new password, the failed call is marked
//     retryable (db/errors.ts), so the normal retry policy repeats it on a new connection with the new
//     password: a rotation costs about one failed connection attempt per pool, absorbed by the retry.
// Nothing here talks to AWS directly: the SecretFetcher does (db/secrets-manager.ts), and tests pass a fake.

/** Returns the secret's SecretString (the RDS JSON document). `signal` aborts a slow call. */
export type SecretFetcher = (signal: AbortSignal) => Promise<string>;

export type RefreshReason = 'expired' | 'auth-failure' | 'initial';

export interface RotatingCredentialsOptions {
  readonly fetch: SecretFetcher;
  /** Starting value (from DB_SECRET / DB_PASSWORD); without it the first connection waits for a fetch. */
  readonly initial?: { readonly username?: string; readonly password?: string };
  /** Age after which the cached secret is re-read in the background. @default 300000 (5 min) */
  readonly ttlMs?: number;
  /** Minimum time between two fetches, however many connections fail. @default 5000 */
  readonly minRefreshIntervalMs?: number;
  /** Deadline for one fetch. @default 3000 */
  readonly fetchTimeoutMs?: number;
  readonly now?: () => number;
  /** After every successful fetch (`changed`: the password differs from the one cached before). */
  readonly onRefresh?: (event: { reason: RefreshReason; changed: boolean }) => void;
  /** A fetch failed; the cached value (if any) stays in use. Never given the secret. */
  readonly onError?: (err: Error, reason: RefreshReason) => void;
}

/** What db/pg.ts needs: a password for each new connection, and a hook for authentication failures. */
export interface PasswordSource {
  password(): Promise<string>;
  /** Call after a 28P01. Resolves true when the credentials changed just now (or a moment ago), i.e.
   *  another attempt on a new connection is expected to succeed. Never rejects. */
  onAuthFailure(): Promise<boolean>;
}

/** The RDS-managed secret JSON: `{"username": ..., "password": ...}` (other keys are ignored). */
export function parseCredentials(secretString: string): { username?: string; password: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    parsed = undefined; // never echo the secret in the message
  }
  const doc = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  if (typeof doc.password !== 'string' || doc.password === '') {
    throw new Error('the database secret must be a JSON object with a non-empty "password"');
  }
  return { username: typeof doc.username === 'string' && doc.username !== '' ? doc.username : undefined, password: doc.password };
}

export class RotatingCredentials implements PasswordSource {
  private value: string | undefined;
  private user: string | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY; // the starting value counts as stale: re-read it soon
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private lastAuthFailureReadAt = Number.NEGATIVE_INFINITY;
  private changedAt = Number.NEGATIVE_INFINITY;
  private inflight: { promise: Promise<void>; reason: RefreshReason } | undefined;
  private readonly ttlMs: number;
  private readonly minIntervalMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: RotatingCredentialsOptions) {
    this.value = options.initial?.password || undefined;
    this.user = options.initial?.username || undefined;
    this.ttlMs = options.ttlMs ?? 300_000;
    this.minIntervalMs = options.minRefreshIntervalMs ?? 5_000;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 3_000;
    this.now = options.now ?? Date.now;
  }

  /** The username from the secret (or the starting value), once known. */
  get username(): string | undefined {
    return this.user;
  }

  async password(): Promise<string> {
    if (this.inflight && (this.value === undefined || this.inflight.reason !== 'expired')) {
      // A re-read after an authentication failure (or the very first one): the cached value is
      // probably wrong, so wait for the new one rather than spend a connection attempt on it.
      await this.inflight.promise;
    } else if (this.value === undefined) {
      await this.refresh('initial');
    } else if (this.now() - this.fetchedAt >= this.ttlMs) {
      void this.refresh('expired'); // stale-while-revalidate: this connection uses the cached value
    }
    if (this.value === undefined) throw new Error('database password unavailable: the secret could not be read from Secrets Manager');
    return this.value;
  }

  async onAuthFailure(): Promise<boolean> {
    await this.refresh('auth-failure');
    // Changed by this refresh, or by a concurrent/recent one that this failed attempt raced with.
    return this.now() - this.changedAt <= this.minIntervalMs;
  }

  /** Re-reads the secret unless a read is running (joins it) or one (of this kind) started less than minRefreshIntervalMs ago. */
  refresh(reason: RefreshReason): Promise<void> {
    if (this.inflight) {
      if (reason === 'auth-failure') this.inflight.reason = reason; // new connections now wait for it
      return this.inflight.promise;
    }
    // Reads after authentication failures are throttled among themselves (a burst of failures costs one
    // read), so a routine read just before a rotation never delays the read that picks up the new password.
    const started = this.now();
    const last = reason === 'auth-failure' ? this.lastAuthFailureReadAt : this.lastAttemptAt;
    if (started - last < this.minIntervalMs) return Promise.resolve();
    this.lastAttemptAt = started;
    if (reason === 'auth-failure') this.lastAuthFailureReadAt = started;
    const promise = this.fetchOnce(reason).finally(() => (this.inflight = undefined));
    this.inflight = { promise, reason };
    return promise;
  }

  private async fetchOnce(reason: RefreshReason): Promise<void> {
    try {
      const next = parseCredentials(await this.options.fetch(AbortSignal.timeout(this.fetchTimeoutMs)));
      const changed = this.value !== undefined && next.password !== this.value;
      if (changed) this.changedAt = this.now();
      this.value = next.password;
      this.user = next.username ?? this.user;
      this.fetchedAt = this.now();
      this.options.onRefresh?.({ reason, changed });
    } catch (err) {
      this.options.onError?.(err instanceof Error ? err : new Error(String(err)), reason);
    }
  }
}
