/**
 * The service level objectives of the service, with defaults and validation. Pure: no CDK, so the
 * app's config parser can call {@link resolveSloConfig} on raw JSON and the constructs on typed props.
 */
import {
  BurnRateSeverity,
  BurnRateTier,
  DEFAULT_BURN_RATE_TIERS,
  SECONDS_PER_DAY,
  SloConfigError,
  validateSloTarget,
  validateTier,
} from './burn-rate';

/** Availability: the share of requests that did not end in a 5xx from the targets or the load balancer. */
export interface AvailabilitySloConfig {
  /**
   * Fraction of requests that must succeed, between 0.9 and 0.9999.
   * @default 0.999
   */
  readonly target?: number;
  /**
   * Days the error budget covers (a rolling window).
   * @default 30
   */
  readonly periodDays?: number;
}

/** Latency: the share of target responses at or under a threshold. */
export interface LatencySloConfig {
  /**
   * Fraction of responses that must be fast enough, between 0.9 and 0.9999.
   * @default 0.99
   */
  readonly target?: number;
  /**
   * Response time, in milliseconds, at or under which a response counts as good.
   * @default 300
   */
  readonly thresholdMs?: number;
  /**
   * Days the error budget covers (a rolling window).
   * @default 30
   */
  readonly periodDays?: number;
}

/** The SLOs and the alerting policy; every key is optional. */
export interface SloConfig {
  /** @default - 99.9 % over 30 days */
  readonly availability?: AvailabilitySloConfig;
  /** @default - 99 % of responses within 300 ms over 30 days */
  readonly latency?: LatencySloConfig;
  /**
   * Burn-rate tiers, each a long and a short window.
   * @default DEFAULT_BURN_RATE_TIERS - 14.4× over 1 h / 5 min and 6× over 6 h / 30 min page; 3× over 1 d / 2 h tickets
   */
  readonly tiers?: BurnRateTier[];
  /**
   * Low-traffic guard of every burn-rate window (and the error-budget gate): a window with fewer requests (or
   * responses, for latency) reads an error ratio of 0. 0 turns the guard off.
   * @default 100
   */
  readonly minimumRequests?: number;
}

export interface ResolvedAvailabilitySlo {
  readonly target: number;
  readonly periodDays: number;
}

export interface ResolvedLatencySlo {
  readonly target: number;
  readonly thresholdMs: number;
  readonly periodDays: number;
}

export interface ResolvedSloConfig {
  readonly availability: ResolvedAvailabilitySlo;
  readonly latency: ResolvedLatencySlo;
  readonly tiers: BurnRateTier[];
  readonly minimumRequests: number;
}

export const SLO_DEFAULTS: ResolvedSloConfig = {
  availability: { target: 0.999, periodDays: 30 },
  latency: { target: 0.99, thresholdMs: 300, periodDays: 30 },
  tiers: [...DEFAULT_BURN_RATE_TIERS],
  minimumRequests: 100,
};

/** Limits on the other settings, with the reason in the error message. */
const PERIOD_DAYS = { min: 7, max: 90 };
const THRESHOLD_MS = { min: 1, max: 60_000 };

/**
 * Fills in defaults and validates. Throws {@link SloConfigError} with a message that names the key,
 * the value received, what is allowed and why.
 */
export function resolveSloConfig(config: SloConfig = {}, path = 'slo'): ResolvedSloConfig {
  const availabilityPeriod = periodDays(`${path}.availability.periodDays`, config.availability?.periodDays ?? SLO_DEFAULTS.availability.periodDays);
  const availabilityTarget = config.availability?.target ?? SLO_DEFAULTS.availability.target;
  validateSloTarget(`${path}.availability.target`, availabilityTarget, availabilityPeriod * SECONDS_PER_DAY);

  const latencyPeriod = periodDays(`${path}.latency.periodDays`, config.latency?.periodDays ?? SLO_DEFAULTS.latency.periodDays);
  const latencyTarget = config.latency?.target ?? SLO_DEFAULTS.latency.target;
  validateSloTarget(`${path}.latency.target`, latencyTarget, latencyPeriod * SECONDS_PER_DAY);
  const thresholdMs = config.latency?.thresholdMs ?? SLO_DEFAULTS.latency.thresholdMs;
  if (!Number.isInteger(thresholdMs) || thresholdMs < THRESHOLD_MS.min || thresholdMs > THRESHOLD_MS.max) {
    throw new SloConfigError(
      `${path}.latency.thresholdMs must be a whole number of milliseconds between ${THRESHOLD_MS.min} and ${THRESHOLD_MS.max} ` +
        `(the load balancer stops waiting for a target at its 60 s idle timeout), got ${thresholdMs}`,
    );
  }

  const tiers = config.tiers ?? SLO_DEFAULTS.tiers;
  validateTiers(`${path}.tiers`, tiers);
  const minimumRequests = config.minimumRequests ?? SLO_DEFAULTS.minimumRequests;
  if (!Number.isInteger(minimumRequests) || minimumRequests < 0 || minimumRequests > 1_000_000) {
    throw new SloConfigError(
      `${path}.minimumRequests must be a whole number of requests from 0 (no low-traffic guard) to 1000000, got ${minimumRequests}`,
    );
  }

  return {
    availability: { target: availabilityTarget, periodDays: availabilityPeriod },
    latency: { target: latencyTarget, thresholdMs, periodDays: latencyPeriod },
    tiers,
    minimumRequests,
  };
}

/** Checks a tier list: at least one paging tier, unique names, each tier within CloudWatch's limits. */
export function validateTiers(prop: string, tiers: readonly BurnRateTier[]): void {
  if (!tiers.some((t) => t.severity === BurnRateSeverity.PAGE)) {
    throw new SloConfigError(`${prop} must include at least one tier with severity "page": without one nothing wakes anyone when the budget burns fast`);
  }
  const seen = new Set<string>();
  tiers.forEach((tier, i) => {
    validateTier(`${prop}[${i}]`, tier);
    if (seen.has(tier.name)) throw new SloConfigError(`${prop}[${i}].name must be unique, got "${tier.name}" twice`);
    seen.add(tier.name);
  });
}

function periodDays(prop: string, value: number): number {
  if (!Number.isInteger(value) || value < PERIOD_DAYS.min || value > PERIOD_DAYS.max) {
    throw new SloConfigError(
      `${prop} must be a whole number of days between ${PERIOD_DAYS.min} and ${PERIOD_DAYS.max} ` +
        `(the burn-rate tiers assume a budget of weeks to a quarter: with a shorter one a single incident spends it all), got ${value}`,
    );
  }
  return value;
}
