// `npm run bench`: the sample service on real PostgreSQL, the seeds' Flask + gunicorn (2 workers) on the
// same PostgreSQL, and a bare node:http hello-world, loaded by autocannon with the same settings in one
// run, on loopback only; `GET /` of each also by wrk (a C load generator, so the client's own cost is
// lower) when it is installed. Prints a Markdown table (and writes it to --out FILE when given).
//
//   npm run bench -- [--duration 8] [--connections 50] [--out reports/bench.md]
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

interface Row {
  server: string;
  endpoint: string;
  tool: 'autocannon' | 'wrk';
  result: AutocannonResult;
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
      for (const [endpoint, path, init] of endpoints) rows.push({ server: name, endpoint, tool: 'autocannon', result: await load(base + path, endpoint, init) });
      if (HAS_WRK) rows.push({ server: name, endpoint: 'GET /', tool: 'wrk', result: wrk(base + '/', 'GET /') });
    }
    process.stderr.write('bare node:http\n');
    rows.push({ server: 'bare node:http (ceiling)', endpoint: 'GET /', tool: 'autocannon', result: await load(bare + '/', 'GET /') });
    if (HAS_WRK) rows.push({ server: 'bare node:http (ceiling)', endpoint: 'GET /', tool: 'wrk', result: wrk(bare + '/', 'GET /') });
  } finally {
    for (const child of children) child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    pg.destroy();
  }

  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
  const lines = [
    `Settings: ${CONNECTIONS} connections, ${DURATION} s per endpoint after a ${WARMUP} s warm-up, autocannon${HAS_WRK ? ' and wrk (1 thread)' : ''}, loopback, ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}.`,
    '',
    '| server | endpoint | tool | requests/s | p50 (ms) | p99 (ms) | non-2xx | errors |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...rows.map(({ server, endpoint, tool, result: r }) =>
      `| ${server} | ${endpoint} | ${tool} | ${fmt(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.non2xx} | ${r.errors + r.timeouts} |`),
  ];
  const get = (server: string, tool: string) => rows.find((r) => r.server.startsWith(server) && r.endpoint === 'GET /' && r.tool === tool)?.result;
  lines.push('');
  for (const tool of ['autocannon', 'wrk']) {
    const [svcRoot, flaskRoot, bareRoot] = [get('this service', tool), get('Flask', tool), get('bare', tool)];
    if (!svcRoot || !flaskRoot || !bareRoot) continue;
    lines.push(
      `GET / (${tool}): ${(svcRoot.requests.average / flaskRoot.requests.average).toFixed(1)}× Flask's requests/s (aim ≥ 5×), ` +
        `${Math.round((100 * svcRoot.requests.average) / bareRoot.requests.average)} % of bare node:http (aim ≥ 60 %), ` +
        `p99 ${svcRoot.latency.p99} ms vs Flask's ${flaskRoot.latency.p99} ms (aim ≤ ⅓: ${svcRoot.latency.p99 * 3 <= flaskRoot.latency.p99 ? 'met' : 'not met'}).`,
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
