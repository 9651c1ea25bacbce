// `npm run bench`: the sample service on real PostgreSQL, the seeds' Flask + gunicorn (2 workers) on the
// same PostgreSQL, and a bare node:http hello-world, loaded by autocannon with the same settings in one
// run, on loopback only; `GET /` of each also by wrk (a C load generator, so the client's own cost is
// lower) when it is installed. `GET /` is measured in interleaved rounds (service, bare node:http, Flask, then
// again), because on a small shared machine two runs of the same server minutes apart can differ by a third:
// each round's ratio compares runs made seconds apart, and the table shows the median round. Prints a
// Markdown table (and writes it to --out FILE when given).
//
//   npm run bench -- [--duration 8] [--rounds 3] [--connections 50] [--out reports/bench.md]
//
// Needs Debian's postgresql, python3-flask, gunicorn and python3-psycopg2 (and wrk). Takes about 2 minutes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { freePort, startPostgres } from '../tools/local-servers';

interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = createRequire(__filename)('autocannon') as Autocannon;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const DURATION = Number(arg('duration', '8'));
const CONNECTIONS = Number(arg('connections', '50'));
const ROUNDS = Number(arg('rounds', '3'));
const WARMUP = 2;
const OUT = arg('out', '');
const ROOT = join(__dirname, '..');

const children: ChildProcess[] = [];
function start(cmd: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not come up`);
}

type Tool = 'autocannon' | 'wrk';

interface Row {
  server: string;
  endpoint: string;
  tool: Tool;
  result: AutocannonResult;
}

/** The run with the median requests/s. */
export function median(results: readonly AutocannonResult[]): AutocannonResult {
  const sorted = [...results].sort((a, b) => a.requests.average - b.requests.average);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

const HAS_WRK = spawnSync('wrk', ['--version']).error === undefined;

/** wrk's report as autocannon's shape: requests/s, p50/p99 (ms), non-2xx, socket errors + timeouts. */
export function parseWrk(output: string): AutocannonResult {
  const ms = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit]!;
  const percentile = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
    if (!m) throw new Error(`no ${p}% latency in wrk output:\n${output}`);
    return Math.round(ms(m[1]!, m[2]!) * 100) / 100;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  if (!rps) throw new Error(`no Requests/sec in wrk output:\n${output}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const errors = socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) : 0;
  return { requests: { average: Number(rps[1]) }, latency: { p50: percentile('50'), p99: percentile('99') }, non2xx, errors, timeouts: socket ? Number(socket[4]) : 0 };
}

function wrk(url: string, endpoint: string): AutocannonResult {
  // One thread: the server under test needs the other CPU.
  const run = (seconds: number) => spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  run(WARMUP);
  const result = parseWrk(run(DURATION).stdout);
  process.stderr.write(`  ${endpoint.padEnd(22)} ${Math.round(result.requests.average)} req/s (wrk)\n`);
  return result;
}

async function load(url: string, endpoint: string, init: { method?: string; body?: string } = {}): Promise<AutocannonResult> {
  const opts = {
    url,
    connections: CONNECTIONS,
    method: init.method ?? 'GET',
    body: init.body,
    headers: init.body ? { 'content-type': 'application/json' } : undefined,
  };
  await autocannon({ ...opts, duration: WARMUP }); // JIT, pools and caches warm up
  const result = await autocannon({ ...opts, duration: DURATION });
  process.stderr.write(`  ${endpoint.padEnd(22)} ${Math.round(result.requests.average)} req/s\n`);
  return result;
}

async function main(): Promise<void> {
  process.stderr.write(`starting PostgreSQL...\n`);
  const pg = await startPostgres();
  const rows: Row[] = [];
  const rounds = new Map<Tool, Map<string, AutocannonResult[]>>();
  try {
    const [svcPort, flaskPort, nodePort] = await Promise.all([freePort(), freePort(), freePort()]);
    // The service exactly as in production: JSON request logs at info (sent to /dev/null here), EMF on.
    start(process.execPath, ['--import', 'tsx', 'app/src/server.ts'], {
      DATABASE_URL: pg.url,
      PORT: String(svcPort),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      DB_TLS: 'disable',
    });
    const svc = `http://127.0.0.1:${svcPort}`;
    await waitFor(`${svc}/health/ready`); // migrations done: the table exists for Flask too
    start('gunicorn', ['-w', '2', '-b', `127.0.0.1:${flaskPort}`, '--chdir', 'bench', '--log-level', 'warning', 'flask_app:app'], {
      DATABASE_URL: pg.url,
    });
    start(process.execPath, ['--import', 'tsx', 'bench/hello.ts'], { PORT: String(nodePort) });
    const flask = `http://127.0.0.1:${flaskPort}`;
    const bare = `http://127.0.0.1:${nodePort}`;
    await Promise.all([waitFor(`${flask}/health/ready`), waitFor(bare)]);

    const created = (await (await fetch(`${svc}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"bench"}' })).json()) as { id: string };
    const post = { method: 'POST', body: JSON.stringify({ text: 'hello from the benchmark' }) };
    const endpoints: Array<[string, string, { method?: string; body?: string }]> = [
      ['GET /', '/', {}],
      ['GET /health/ready', '/health/ready', {}],
      ['GET /messages/:id', `/messages/${created.id}`, {}],
      ['POST /messages', '/messages', post],
    ];
    for (const [name, base] of [['this service (Node, pg)', svc], ['Flask + gunicorn -w 2', flask]] as const) {
      process.stderr.write(`${name}\n`);
      for (const [endpoint, path, init] of endpoints.slice(1)) rows.push({ server: name, endpoint, tool: 'autocannon', result: await load(base + path, endpoint, init) });
    }
    const servers = [['this service (Node, pg)', svc], ['bare node:http (ceiling)', bare], ['Flask + gunicorn -w 2', flask]] as const;
    for (const tool of (HAS_WRK ? ['autocannon', 'wrk'] : ['autocannon']) as Tool[]) {
      const runs = new Map<string, AutocannonResult[]>(servers.map(([name]) => [name, []]));
      for (let round = 1; round <= ROUNDS; round++) {
        process.stderr.write(`GET / round ${round}/${ROUNDS} (${tool})\n`);
        for (const [name, base] of servers) runs.get(name)!.push(tool === 'wrk' ? wrk(base + '/', name) : await load(base + '/', name));
      }
      for (const [name] of servers) rows.push({ server: name, endpoint: 'GET /', tool, result: median(runs.get(name)!) });
      rounds.set(tool, runs);
    }
  } finally {
    for (const child of children) child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    pg.destroy();
  }

  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
  const lines = [
    `Settings: ${CONNECTIONS} connections, ${DURATION} s per endpoint after a ${WARMUP} s warm-up, autocannon${HAS_WRK ? ' and wrk (1 thread)' : ''}, loopback, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}. ` +
      `\`GET /\`: the median of ${ROUNDS} interleaved rounds per tool.`,
    '',
    '| server | endpoint | tool | requests/s | p50 (ms) | p99 (ms) | non-2xx | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(({ server, endpoint, tool, result: r }) =>
      `| ${server} | ${endpoint} | ${tool} | ${fmt(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx} | ${r.errors + r.timeouts} |`),
  ];
  lines.push('');
  for (const [tool, runs] of rounds) {
    const [svcRuns, bareRuns, flaskRuns] = ['this service', 'bare', 'Flask'].map((prefix) => [...runs].find(([name]) => name.startsWith(prefix))![1]);
    const [svcRoot, flaskRoot] = [median(svcRuns!), median(flaskRuns!)];
    const ofBare = svcRuns!.map((r, i) => Math.round((100 * r.requests.average) / bareRuns![i]!.requests.average));
    const xFlask = svcRuns!.map((r, i) => r.requests.average / flaskRuns![i]!.requests.average);
    lines.push(
      `GET / (${tool}), round by round: ${ofBare.map((p) => `${p} %`).join(', ')} of bare node:http (aim ≥ 60 % in every run: ${ofBare.every((p) => p >= 60) ? 'met' : 'not met'}); ` +
        `${xFlask.map((x) => `${x.toFixed(1)}×`).join(', ')} Flask's requests/s (aim ≥ 5×: ${xFlask.every((x) => x >= 5) ? 'met' : 'not met'}); ` +
        `median p99 ${svcRoot.latency.p99} ms vs Flask's ${flaskRoot.latency.p99} ms (aim ≤ ⅓: ${svcRoot.latency.p99 * 3 <= flaskRoot.latency.p99 ? 'met' : 'not met'}).`,
      '',
    );
  }
  const table = lines.join('\n');
  process.stdout.write(table + '\n');
  if (OUT) writeFileSync(OUT, table + '\n');
}

if (require.main === module) main().catch((err) => {
  for (const child of children) child.kill('SIGKILL');
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
