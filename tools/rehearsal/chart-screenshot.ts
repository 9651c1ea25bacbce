#!/usr/bin/env node
/**
 * `tsx tools/rehearsal/chart-screenshot.ts chart.svg ...`: renders each chart in headless Chromium, decodes the PNG
 * screenshot and checks what a reader would see: the picture is not blank, the 2xx bars, the p99 line and the fault
 * marker are drawn in their colours. Exit 0 when every chart passes, 1 otherwise, 2 without Chromium.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { COLORS, HEIGHT, WIDTH } from './chart';

export interface Png {
  readonly width: number;
  readonly height: number;
  /** RGBA, 4 bytes a pixel. */
  readonly pixels: Buffer;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes). */
export function decodePng(buf: Buffer): Png {
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let off = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      colorType = data[9];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || data[12] !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colorType}, interlace ${data[12]}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let yy = 0; yy < height; yy++) {
    const filter = raw[yy * (stride + 1)];
    const line = Buffer.from(raw.subarray(yy * (stride + 1) + 1, (yy + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      let v = line[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      line[i] = v & 0xff;
    }
    for (let xx = 0; xx < width; xx++) {
      const o = (yy * width + xx) * 4;
      out[o] = line[xx * bpp];
      out[o + 1] = line[xx * bpp + 1];
      out[o + 2] = line[xx * bpp + 2];
      out[o + 3] = bpp === 4 ? line[xx * bpp + 3] : 255;
    }
    prev = line;
  }
  return { width, height, pixels: out };
}

/** Pixels within `tolerance` (per channel) of a #rrggbb colour. */
export function countColor(png: Png, hex: string, tolerance = 12): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += 4) {
    if (Math.abs(png.pixels[i] - r) <= tolerance && Math.abs(png.pixels[i + 1] - g) <= tolerance && Math.abs(png.pixels[i + 2] - b) <= tolerance) n++;
  }
  return n;
}

export function chromiumBinary(): string | undefined {
  for (const c of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (existsSync(c)) return c;
  return undefined;
}

/** Screenshots an SVG file in headless Chromium at the chart's size; returns the PNG bytes. */
export function screenshot(svgFile: string, chromium: string): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'ha-chart-shot-'));
  try {
    const png = path.join(dir, 'shot.png');
    const r = spawnSync(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-dev-shm-usage',
      `--user-data-dir=${path.join(dir, 'profile')}`, `--window-size=${WIDTH},${HEIGHT}`, `--screenshot=${png}`, `file://${path.resolve(svgFile)}`,
    ], { encoding: 'utf8', timeout: 60_000 });
    if (!existsSync(png)) throw new Error(`chromium wrote no screenshot (exit ${r.status}): ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
    return readFileSync(png);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ShotVerdict {
  readonly ok: boolean;
  readonly detail: string;
}

/** What must be visible: a chart-sized, non-blank picture with 2xx bars, a p99 line and a fault marker. */
export function judgeScreenshot(png: Png): ShotVerdict {
  const total = png.width * png.height;
  const white = countColor(png, '#ffffff', 3);
  const ok = countColor(png, COLORS.ok);
  const p99 = countColor(png, COLORS.p99, 30);
  const fault = countColor(png, COLORS.fault, 30);
  const problems: string[] = [];
  if (png.width !== WIDTH || png.height !== HEIGHT) problems.push(`size ${png.width}×${png.height}, expected ${WIDTH}×${HEIGHT}`);
  if (white / total > 0.97) problems.push(`${((100 * white) / total).toFixed(1)} % white: blank`);
  if (ok < 500) problems.push(`${ok} pixels of 2xx bars`);
  if (p99 < 50) problems.push(`${p99} pixels of the p99 line`);
  if (fault < 20) problems.push(`${fault} pixels of the fault marker`);
  return { ok: problems.length === 0, detail: problems.length === 0 ? `${png.width}×${png.height}, ${ok} px 2xx, ${p99} px p99, ${fault} px fault` : problems.join('; ') };
}

function main(files: readonly string[]): number {
  const chromium = chromiumBinary();
  if (!chromium) {
    process.stderr.write('chart-screenshot: chromium not found (apt-get install -y chromium)\n');
    return 2;
  }
  if (files.length === 0) {
    process.stderr.write('usage: tsx tools/rehearsal/chart-screenshot.ts chart.svg ...\n');
    return 2;
  }
  let failed = 0;
  for (const f of files) {
    let verdict: ShotVerdict;
    try {
      verdict = judgeScreenshot(decodePng(screenshot(f, chromium)));
    } catch (err) {
      verdict = { ok: false, detail: (err as Error).message };
    }
    if (!verdict.ok) failed++;
    process.stdout.write(`${verdict.ok ? 'ok  ' : 'FAIL'} ${f}: ${verdict.detail}\n`);
  }
  process.stdout.write(`charts rendered in Chromium: ${files.length - failed} of ${files.length} as expected\n`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
