import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketize, COLORS, niceMax, outcomeOf, timelineSvg } from '../../../tools/rehearsal/chart';
import { chartsFromDump, markersOf } from '../../../tools/rehearsal/chart-cli';
import { chromiumBinary, decodePng, judgeScreenshot, screenshot } from '../../../tools/rehearsal/chart-screenshot';
import type { RequestRecord } from '../../../tools/rehearsal/stats';

const T0 = 1_700_000_000_000;
/** 20 s at 50 req/s: healthy, then 5 s of no answers and 503s after a fault at 8 s, slow p99 during it. */
function records(): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = T0; t < T0 + 20_000; t += 20) {
    const inFault = t >= T0 + 8000 && t < T0 + 13_000;
    const status = !inFault ? 200 : t < T0 + 10_000 ? 0 : 503;
    out.push({ start: t, ms: inFault ? 400 : 10 + (t % 7), status, op: t % 40 === 0 ? 'write' : 'read', ...(status === 0 ? { error: 'ECONNRESET' } : {}) });
  }
  return out;
}

describe('bucketize and outcomes', () => {
  it('counts requests per bucket by outcome, with the p99 of each bucket', () => {
    const b = bucketize(records(), T0, T0 + 20_000, 1000);
    expect(b).toHaveLength(20);
    expect(b[0].counts).toEqual({ ok: 50, unavailable: 0, error: 0, 'no-answer': 0 });
    expect(b[8].counts['no-answer']).toBe(50);
    expect(b[11].counts.unavailable).toBe(50);
    expect(b[11].p99Ms).toBe(400);
    expect(b[0].p99Ms).toBeLessThan(20);
  });

  it('classifies 2xx, 503, other errors and no answer', () => {
    expect([201, 503, 500, 404, 0].map((status) => outcomeOf({ status }))).toEqual(['ok', 'unavailable', 'error', 'error', 'no-answer']);
  });

  it('rounds axes to 1, 2 or 5 × 10^n', () => {
    expect([0, 0.3, 7, 51, 130].map(niceMax)).toEqual([1, 0.5, 10, 100, 200]);
  });

  it('refuses a zero bucket', () => {
    expect(() => bucketize([], 0, 1, 0)).toThrow(/bucketMs must be positive/);
  });
});

describe('timelineSvg', () => {
  const svg = timelineSvg({
    title: 'region-loss <test> & more',
    from: T0,
    to: T0 + 20_000,
    records: records(),
    markers: [
      { at: T0 + 8000, label: 'region lost', kind: 'fault' },
      { at: T0 + 9500, label: 'promote', kind: 'step' },
      { at: T0 + 13_000, label: 'first write in DR', kind: 'recovery' },
    ],
  });

  it('is a standalone SVG with the title escaped, bars in every outcome colour seen, the p99 line and the markers', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('region-loss &lt;test&gt; &amp; more');
    for (const c of [COLORS.ok, COLORS.unavailable, COLORS['no-answer'], COLORS.p99, COLORS.fault, COLORS.recovery]) expect(svg).toContain(c);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('>region lost<');
    expect(svg).toContain('>first write in DR<');
    expect(svg).toMatch(/1000 requests/);
  });

  it('leaves out markers outside the window', () => {
    const outside = timelineSvg({ title: 't', from: T0, to: T0 + 1000, records: [], markers: [{ at: T0 + 5000, label: 'later', kind: 'fault' }] });
    expect(outside).not.toContain('>later<');
  });
});

describe('charts of the single-region rehearsal (from its --dump)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chart-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('marks the fault, its end and the recovery the rehearsal would compute', () => {
    const obs = { name: 'database-outage' as const, from: T0, to: T0 + 20_000, faultAt: T0 + 8000, faultEndAt: T0 + 12_000, lostAcknowledgedWrites: 0 };
    expect(markersOf(obs, records())).toEqual([
      { at: T0 + 8000, label: 'fault', kind: 'fault' },
      { at: T0 + 12_000, label: 'fault ends', kind: 'step' },
      { at: T0 + 13_000, label: 'recovered', kind: 'recovery' },
    ]);
  });

  it('writes one SVG per scenario of the dump; a scenario without a fault is marked where it starts', () => {
    const files = chartsFromDump({ observed: [{ name: 'conflict-storm', from: T0, to: T0 + 5000, lostAcknowledgedWrites: 0 }], records: records() }, dir);
    expect(files).toEqual([path.join(dir, 'conflict-storm.svg')]);
    expect(markersOf({ name: 'conflict-storm', from: T0, to: T0 + 5000, lostAcknowledgedWrites: 0 }, [])[0]).toMatchObject({ label: 'conflict-storm starts', kind: 'fault' });
  });
});

// Chromium is installed by .ci/run (apt-get install chromium); a developer machine without it skips, saying why.
const chromium = chromiumBinary();
describe.skipIf(!chromium)(`a rendered chart in headless Chromium${chromium ? '' : ' (skipped: no chromium binary at /usr/bin/chromium; apt-get install -y chromium)'}`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chart-shot-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the 2xx bars, the p99 line and the fault marker at the chart\'s size', () => {
    const file = path.join(dir, 'chart.svg');
    writeFileSync(file, timelineSvg({ title: 'screenshot', from: T0, to: T0 + 20_000, records: records(), markers: [{ at: T0 + 8000, label: 'fault', kind: 'fault' }] }));
    const png = decodePng(screenshot(file, chromium!));
    const verdict = judgeScreenshot(png);
    expect(verdict.detail).toMatch(/^960×420/);
    expect(verdict.ok).toBe(true);
  });

  it('fails a chart that renders blank (so the check can fail)', () => {
    const file = path.join(dir, 'blank.svg');
    writeFileSync(file, '<svg xmlns="http://www.w3.org/2000/svg" width="960" height="420"><rect width="960" height="420" fill="#ffffff"/></svg>');
    const verdict = judgeScreenshot(decodePng(screenshot(file, chromium!)));
    expect(verdict.ok).toBe(false);
    expect(verdict.detail).toMatch(/white: blank/);
  });
});
