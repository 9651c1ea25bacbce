// `npx tsx bench/synth.ts [--runs 3] [--out FILE]`: how long synthesis of the reference app takes beside a plain
// aws-ecs-patterns app (ApplicationLoadBalancedFargateService, an image from a registry, no rule packs), each in a
// fresh Node process (module loading included, as `cdk synth` pays it). Variants: the plain app; the reference app
// with every rule pack for `dr.strategy` backup-restore (2 stacks), pilot-light and warm-standby with dns (3 stacks). Prints a Markdown
// table of the median wall time per variant and the ratio to the plain app (issue 15: must stay under 2×).
// Offline: no credentials, no Docker (the image asset is only staged). Takes about a minute per run of all three.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const runs = Number(option('runs', '3'));
const out = option('out', '');

const PLAIN = `
const { App, Stack } = require('aws-cdk-lib');
const ecs = require('aws-cdk-lib/aws-ecs');
const patterns = require('aws-cdk-lib/aws-ecs-patterns');
const app = new App({ outdir: process.env.OUTDIR });
const stack = new Stack(app, 'Plain', { env: { account: '111111111111', region: 'us-east-1' } });
new patterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
  taskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest') },
  desiredCount: 3,
});
app.synth();
`;

const REFERENCE = (ha: unknown) => `
const { App } = require('aws-cdk-lib');
const { readFileSync } = require('node:fs');
const { buildApp } = require('./lib/app');
const context = JSON.parse(readFileSync('cdk.json', 'utf8')).context;
const app = new App({ outdir: process.env.OUTDIR, context: { ...context, ha: ${JSON.stringify(ha)} } });
buildApp(app);
app.synth();
`;

const VARIANTS: Array<{ name: string; script: string }> = [
  { name: 'plain aws-ecs-patterns app (1 stack, no rule packs)', script: PLAIN },
  { name: 'reference app, backup-restore (HaDr, HaPrimary; AwsSolutions + resilience rules)', script: REFERENCE({ dr: { strategy: 'backup-restore' } }) },
  { name: 'reference app, pilot-light (HaDr, HaPrimary, HaDrSite; both rule packs)', script: REFERENCE({ dr: { strategy: 'pilot-light' } }) },
  {
    name: 'reference app, warm-standby with dns (HaDr, HaPrimary, HaDrSite with failover records; both rule packs)',
    script: REFERENCE({ dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com' }, dr: { strategy: 'warm-standby' } }),
  },
];

function timeOnce(script: string): number {
  const outdir = mkdtempSync(join(tmpdir(), 'synth-bench-'));
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env: { ...process.env, OUTDIR: outdir }, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(outdir, { recursive: true, force: true });
  if (result.status !== 0) throw new Error(`synthesis failed:\n${result.stderr}`);
  return seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times = VARIANTS.map(() => [] as number[]);
// Interleaved, so a neighbour's load on the shared machine falls on every variant alike.
for (let r = 0; r < runs; r++) VARIANTS.forEach((v, i) => times[i]!.push(timeOnce(v.script)));
const base = median(times[0]!);
const lines = [
  `| variant | median wall time (${runs} runs) | runs | × plain |`,
  '|---|---|---|---|',
  ...VARIANTS.map((v, i) => `| ${v.name} | ${median(times[i]!).toFixed(1)} s | ${times[i]!.map((t) => t.toFixed(1)).join(', ')} | ${(median(times[i]!) / base).toFixed(2)} |`),
];
const table = lines.join('\n');
console.log(table);
if (out) writeFileSync(out, table + '\n');
