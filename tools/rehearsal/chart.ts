/**
 * Timeline charts of a rehearsal scenario as standalone SVG (pure; unit tested): requests per second by outcome
 * (stacked bars: 2xx, 503, other errors, no answer), latency p99 per bucket (a line on its own axis), and the fault,
 * its end, the recovery and the runbook's steps marked as vertical lines.
 */
import { percentile, type RequestRecord } from './stats';

export type Outcome = 'ok' | 'unavailable' | 'error' | 'no-answer';

/** Colours are part of the contract: the screenshot check looks for them. */
export const COLORS: Readonly<Record<Outcome | 'p99' | 'fault' | 'recovery' | 'step', string>> = {
  ok: '#2e7d32',
  unavailable: '#f9a825',
  error: '#c62828',
  'no-answer': '#6d4c41',
  p99: '#1565c0',
  fault: '#d50000',
  recovery: '#00c853',
  step: '#757575',
};

const LABELS: Record<Outcome, string> = { ok: '2xx', unavailable: '503', error: 'other 4xx/5xx', 'no-answer': 'no answer' };
const OUTCOMES: readonly Outcome[] = ['ok', 'unavailable', 'error', 'no-answer'];

export function outcomeOf(r: Pick<RequestRecord, 'status'>): Outcome {
  if (r.status >= 200 && r.status < 300) return 'ok';
  if (r.status === 503) return 'unavailable';
  if (r.status === 0) return 'no-answer';
  return 'error';
}

export interface Marker {
  readonly at: number;
  readonly label: string;
  readonly kind: 'fault' | 'recovery' | 'step';
}

export interface ChartInput {
  readonly title: string;
  readonly from: number;
  readonly to: number;
  readonly records: readonly RequestRecord[];
  readonly markers: readonly Marker[];
  /** @default - about 80 buckets over the window, in multiples of 250 ms */
  readonly bucketMs?: number;
}

export interface Bucket {
  readonly start: number;
  readonly counts: Readonly<Record<Outcome, number>>;
  readonly p99Ms: number | null;
}

/** Requests by send time into buckets of `bucketMs` over [from, to). */
export function bucketize(records: readonly RequestRecord[], from: number, to: number, bucketMs: number): Bucket[] {
  if (!(bucketMs > 0)) throw new RangeError(`bucketMs must be positive, got ${bucketMs}`);
  const n = Math.max(1, Math.ceil((to - from) / bucketMs));
  const counts = Array.from({ length: n }, () => ({ ok: 0, unavailable: 0, error: 0, 'no-answer': 0 }) as Record<Outcome, number>);
  const latencies = Array.from({ length: n }, () => [] as number[]);
  for (const r of records) {
    if (r.start < from || r.start >= to) continue;
    const i = Math.floor((r.start - from) / bucketMs);
    counts[i][outcomeOf(r)]++;
    latencies[i].push(r.ms);
  }
  return counts.map((c, i) => ({ start: from + i * bucketMs, counts: c, p99Ms: percentile(latencies[i], 99) ?? null }));
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A "nice" axis maximum (1, 2, 5 × 10^n) at or above `v`. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export const WIDTH = 960;
export const HEIGHT = 420;

export function timelineSvg(input: ChartInput): string {
  const span = Math.max(1, input.to - input.from);
  const bucketMs = input.bucketMs ?? Math.max(250, Math.round(span / 80 / 250) * 250);
  const buckets = bucketize(input.records, input.from, input.to, bucketMs);
  const left = 60;
  const right = 70;
  const top = 40;
  const bottom = 110;
  const w = WIDTH - left - right;
  const h = HEIGHT - top - bottom;
  const perSecond = 1000 / bucketMs;
  // Headroom above the tallest bar keeps the marker labels at the top readable.
  const maxRps = niceMax(1.6 * Math.max(...buckets.map((b) => OUTCOMES.reduce((s, o) => s + b.counts[o], 0) * perSecond)));
  const maxP99 = niceMax(1.6 * Math.max(1, ...buckets.map((b) => b.p99Ms ?? 0)));
  const x = (t: number) => left + ((t - input.from) / span) * w;
  const y = (rps: number) => top + h - (rps / maxRps) * h;
  const yl = (ms: number) => top + h - (ms / maxP99) * h;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(input.title)}</text>`);
  // Grid and axes.
  for (let i = 0; i <= 4; i++) {
    const v = (maxRps * i) / 4;
    const yy = y(v);
    out.push(`<line x1="${left}" y1="${yy}" x2="${left + w}" y2="${yy}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end">${Math.round(v)}</text>`);
    out.push(`<text x="${left + w + 6}" y="${yl((maxP99 * i) / 4) + 4}" fill="${COLORS.p99}">${Math.round((maxP99 * i) / 4)}</text>`);
  }
  out.push(`<text x="14" y="${top + h / 2}" transform="rotate(-90 14 ${top + h / 2})" text-anchor="middle">requests per second</text>`);
  out.push(`<text x="${WIDTH - 12}" y="${top + h / 2}" transform="rotate(90 ${WIDTH - 12} ${top + h / 2})" text-anchor="middle" fill="${COLORS.p99}">latency p99 (ms)</text>`);
  const seconds = span / 1000;
  const tick = niceMax(seconds / 10);
  for (let s = 0; s <= seconds + 1e-9; s += tick) {
    const xx = x(input.from + s * 1000);
    out.push(`<line x1="${xx}" y1="${top + h}" x2="${xx}" y2="${top + h + 4}" stroke="#424242"/>`);
    out.push(`<text x="${xx}" y="${top + h + 16}" text-anchor="middle">${Math.round(s)}</text>`);
  }
  out.push(`<text x="${left + w / 2}" y="${top + h + 32}" text-anchor="middle">seconds into the scenario</text>`);
  out.push(`<line x1="${left}" y1="${top + h}" x2="${left + w}" y2="${top + h}" stroke="#424242"/>`);
  // Stacked bars.
  const bw = Math.max(1, (bucketMs / span) * w - 1);
  for (const b of buckets) {
    let acc = 0;
    for (const o of OUTCOMES) {
      const rps = b.counts[o] * perSecond;
      if (rps === 0) continue;
      out.push(`<rect x="${x(b.start).toFixed(1)}" y="${y(acc + rps).toFixed(1)}" width="${bw.toFixed(1)}" height="${(y(acc) - y(acc + rps)).toFixed(1)}" fill="${COLORS[o]}"/>`);
      acc += rps;
    }
  }
  // p99 line.
  const pts = buckets.filter((b) => b.p99Ms !== null).map((b) => `${(x(b.start) + bw / 2).toFixed(1)},${yl(b.p99Ms!).toFixed(1)}`);
  if (pts.length > 0) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS.p99}" stroke-width="2"/>`);
  // Markers, labels staggered over six rows at the top of the plot.
  input.markers
    .filter((m) => m.at >= input.from && m.at <= input.to)
    .forEach((m, i) => {
      const xx = x(m.at).toFixed(1);
      const width = m.kind === 'step' ? 1 : 2.5;
      const dash = m.kind === 'step' ? '2,3' : '6,3';
      out.push(`<line x1="${xx}" y1="${top}" x2="${xx}" y2="${top + h}" stroke="${COLORS[m.kind]}" stroke-width="${width}" stroke-dasharray="${dash}"/>`);
      out.push(`<text x="${Number(xx) + 3}" y="${top + 11 + (i % 6) * 12}" fill="${m.kind === 'step' ? '#424242' : COLORS[m.kind]}" font-size="10">${esc(m.label)}</text>`);
    });
  // Legend.
  const ly = HEIGHT - 40;
  let lx = left;
  for (const o of OUTCOMES) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[o]}"/><text x="${lx + 16}" y="${ly}">${LABELS[o]}</text>`);
    lx += 30 + LABELS[o].length * 7;
  }
  out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 20}" y2="${ly - 4}" stroke="${COLORS.p99}" stroke-width="2"/><text x="${lx + 24}" y="${ly}">p99 latency</text>`);
  lx += 110;
  out.push(`<line x1="${lx}" y1="${ly - 10}" x2="${lx}" y2="${ly + 2}" stroke="${COLORS.fault}" stroke-width="2.5" stroke-dasharray="6,3"/><text x="${lx + 6}" y="${ly}">fault</text>`);
  lx += 55;
  out.push(`<line x1="${lx}" y1="${ly - 10}" x2="${lx}" y2="${ly + 2}" stroke="${COLORS.recovery}" stroke-width="2.5" stroke-dasharray="6,3"/><text x="${lx + 6}" y="${ly}">recovery</text>`);
  lx += 75;
  out.push(`<line x1="${lx}" y1="${ly - 10}" x2="${lx}" y2="${ly + 2}" stroke="${COLORS.step}" stroke-dasharray="2,3"/><text x="${lx + 6}" y="${ly}">step</text>`);
  out.push(`<text x="${left}" y="${HEIGHT - 14}" fill="#616161" font-size="11">bucket ${bucketMs / 1000} s; ${input.records.filter((r) => r.start >= input.from && r.start < input.to).length} requests</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
