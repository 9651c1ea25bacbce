/** Command-line arguments of the rehearsal (pure, unit tested). */
import type { ScenarioName } from './evaluate';

export const ALL: readonly ScenarioName[] = [
  'rolling-restart',
  'crash',
  'database-failover',
  'database-outage',
  'conflict-storm',
  'slow-bodies',
  'deep-flood',
  'overload',
];
export const USAGE = `usage: npm run rehearsal -- [--json] [--only ${ALL.join(',')}] [--dump records.json] [--service-env NAME=VALUE ...]`;

export interface CliOptions {
  readonly json: boolean;
  readonly only: readonly ScenarioName[];
  /** Also write every request record and scenario observation to this file (for analysis). */
  readonly dump?: string;
  /** Extra environment for the service replicas (experiments; the default run uses the task definition's). */
  readonly serviceEnv: Readonly<Record<string, string>>;
}

/** Bad command line: the CLI prints the message and exits with 2. */
export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): CliOptions | 'help' {
  let json = false;
  let dump: string | undefined;
  const serviceEnv: Record<string, string> = {};
  let only: ScenarioName[] = [...ALL];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--json') json = true;
    else if (arg === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = list.filter((n) => !ALL.includes(n as ScenarioName));
      if (list.length === 0 || bad.length > 0) throw new UsageError(`--only takes scenario names, got ${JSON.stringify(argv[i] ?? '')}. ${USAGE}`);
      only = ALL.filter((n) => list.includes(n));
    } else if (arg === '--dump') {
      dump = argv[++i];
      if (!dump) throw new UsageError(`--dump needs a file name. ${USAGE}`);
    } else if (arg === '--service-env') {
      const pair = argv[++i] ?? '';
      const eq = pair.indexOf('=');
      if (eq < 1) throw new UsageError(`--service-env takes NAME=VALUE, got ${JSON.stringify(pair)}. ${USAGE}`);
      serviceEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else throw new UsageError(`unknown argument ${arg}. ${USAGE}`);
  }
  return { json, only, dump, serviceEnv };
}

