/**
 * The two-way contract between the sample service and the infrastructure that runs it.
 *
 * The service reads these values at run time; the CDK stacks read them at synth time
 * (lib/ imports this file), so the port, the health paths and the drain timing can never
 * drift apart. This file must stay free of imports: it is loaded by both sides.
 */

/** TCP port the container listens on (overridable at run time with PORT, but the task definition uses this). */
export const SERVICE_PORT = 8080;

/** Health endpoints. Liveness: the process can serve. Readiness: send me traffic. Deep: dependency report. */
export const HEALTH_PATHS = {
  live: '/health/live',
  ready: '/health/ready',
  deep: '/health/deep',
} as const;

/**
 * Load balancer deregistration delay. AWS's default is 300 s, which makes every ECS deployment
 * wait five minutes per batch; 30 s is ample for requests bounded by the timeouts below.
 */
export const DEREGISTRATION_DELAY_SECONDS = 30;

/**
 * After SIGTERM the service keeps serving (with readiness failing) for this long, so a task that is
 * stopped directly (StopTask, FIS, scale-in) is taken out of rotation by the load balancer before it
 * stops accepting connections. Shorter than the deregistration delay, as the load balancer keeps
 * in-flight requests alive for the whole delay.
 */
export const DRAIN_SECONDS = 20;

/** Upper bound for one request inside the service; in-flight requests get this long to finish after draining. */
export const REQUEST_TIMEOUT_SECONDS = 5;

/**
 * Container stop timeout: drain, then let in-flight requests finish, plus margin for closing the pool.
 * ECS sends SIGKILL when it elapses (Fargate allows at most 120 s).
 */
export const STOP_TIMEOUT_SECONDS = DRAIN_SECONDS + REQUEST_TIMEOUT_SECONDS + 5;

/**
 * Database connections each task opens at most (its pool and bulkhead). The stack sets DB_POOL_MAX to it and
 * checks at synth that pool × maximum tasks × 2 (a deployment runs up to 200 %) fits the instance class.
 */
export const DB_POOL_MAX = 10;
