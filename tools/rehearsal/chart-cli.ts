#!/usr/bin/env node
/**
 * `tsx tools/rehearsal/chart-cli.ts DUMP OUTDIR`: a timeline chart (SVG) for every scenario in a rehearsal dump
 * (`npm run rehearsal -- --dump DUMP`): requests per second by outcome, p99 latency, the fault, its end and the
 * recovery (the first request after which every request succeeded for 3 s, as the rehearsal's own verdicts define it).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { STABLE_MS, type Observation } from './evaluate';
import { timelineSvg, type Marker } from './chart';
import { recoveredAt, type RequestRecord } from './stats';

/** The markers of one observed scenario of the single-region rehearsal. */
export function markersOf(obs: Observation, records: readonly RequestRecord[]): Marker[] {
  const markers: Marker[] = [];
  // Scenarios without a fault time (a deployment, a hostile client) are marked where the trouble starts.
  markers.push({ at: obs.faultAt ?? obs.from, label: obs.faultAt === undefined ? `${obs.name} starts` : 'fault', kind: 'fault' });
  if (obs.faultEndAt !== undefined) markers.push({ at: obs.faultEndAt, label: 'fault ends', kind: 'step' });
  const after = obs.faultEndAt ?? obs.faultAt;
  if (after !== undefined) {
    const rec = recoveredAt(records, after, obs.to, STABLE_MS);
    if (rec !== undefined && rec > after) markers.push({ at: rec, label: 'recovered', kind: 'recovery' });
  }
  return markers;
}

export function chartsFromDump(dump: { observed: Observation[]; records: RequestRecord[] }, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const obs of dump.observed) {
    // A little context either side of the scenario's window.
    const from = obs.from - 2000;
    const to = obs.to + 1000;
    const svg = timelineSvg({ title: `rehearsal: ${obs.name}`, from, to, records: dump.records, markers: markersOf(obs, dump.records) });
    const file = path.join(outDir, `${obs.name}.svg`);
    writeFileSync(file, svg);
    files.push(file);
  }
  return files;
}

if (require.main === module) {
  const [dumpFile, outDir] = process.argv.slice(2);
  if (!dumpFile || !outDir) {
    process.stderr.write('usage: tsx tools/rehearsal/chart-cli.ts DUMP.json OUTDIR\n');
    process.exit(2);
  }
  const files = chartsFromDump(JSON.parse(readFileSync(dumpFile, 'utf8')), outDir);
  process.stdout.write(`${files.join('\n')}\n`);
}
