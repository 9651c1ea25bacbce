// Container health check used by the ECS task definition (and the Dockerfile's HEALTHCHECK):
// exits 0 when the liveness endpoint answers 200 within 2 s. Needs nothing but Node itself.
import { HEALTH_PATHS, SERVICE_PORT } from './contract';

const port = Number(process.env.PORT ?? SERVICE_PORT);
fetch(`http://127.0.0.1:${port}${HEALTH_PATHS.live}`, { signal: AbortSignal.timeout(2000) })
  .then((res) => process.exit(res.status === 200 ? 0 : 1))
  .catch(() => process.exit(1));
