// Entry point: configuration from the environment, then the service. Exit codes: 0 after a graceful
// shutdown, 1 for bad configuration or a fatal error (ECS replaces the task).
import { startServer } from './app';
import { ConfigError, SHUTDOWN_BACKSTOP_MS, loadConfig } from './config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(JSON.stringify({ level: 'fatal', msg: err.message }) + '\n');
      process.exit(1);
    }
    throw err;
  }
  const app = await startServer({ config });
  const { logger } = app;

  let stopping = false;
  const stop = (signal: string, drainMs: number) => {
    // A repeated SIGTERM (ECS, an operator, a supervisor) must not cut the drain short: with no handler
    // left, node's default action would kill the process and every request in flight with it.
    if (stopping) return void logger.warn({ signal }, 'shutdown already in progress; signal ignored');
    stopping = true;
    logger.info({ signal }, 'shutdown requested');
    // Backstop below the container stop timeout, so we never end up SIGKILLed mid-write.
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_BACKSTOP_MS).unref();
    const exit = (code: number) => logger.flush(() => process.exit(code));
    app.shutdown({ drainMs }).then(
      () => exit(0),
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        exit(1);
      },
    );
  };
  // SIGTERM (ECS, docker stop) drains for the full period, however often it is sent; SIGINT (Ctrl-C at a
  // terminal) skips the drain, and a second Ctrl-C ends the process at once (node's default), as people expect.
  process.on('SIGTERM', () => stop('SIGTERM', config.drainMs));
  process.once('SIGINT', () => stop('SIGINT', 0));
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (err) => {
      logger.fatal({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, event);
      logger.flush(() => process.exit(1));
    });
  }
}

void main();
