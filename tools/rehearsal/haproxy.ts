/** Runs HAProxy with the generated configuration and reads its server states through the stats socket. */
import { spawnSync } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { parseShowStat, renderHaproxyConfig, type HaproxyConfigInput, type ServerStat } from './haproxy-config';
import { PrerequisiteError } from '../local-servers';
import { Abort, tail, type Managed, type Processes } from './processes';

export const BACKEND = 'targets';

export function haproxyBinary(): string {
  for (const candidate of ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy']) {
    if (spawnSync(candidate, ['-v'], { timeout: 10_000 }).status === 0) return candidate;
  }
  const r = spawnSync('haproxy', ['-v'], { timeout: 10_000 });
  if (r.status === 0) return 'haproxy';
  throw new PrerequisiteError('haproxy not found: apt-get install -y haproxy');
}

export class Haproxy {
  private process: Managed | undefined;
  readonly socket: string;
  readonly configFile: string;

  constructor(
    private readonly procs: Processes,
    private readonly dir: string,
    private readonly input: Omit<HaproxyConfigInput, 'statsSocket'>,
  ) {
    this.socket = path.join(dir, 'haproxy.sock');
    this.configFile = path.join(dir, 'haproxy.cfg');
  }

  get url(): string {
    return `http://127.0.0.1:${this.input.frontendPort}`;
  }

  start(): void {
    const bin = haproxyBinary();
    writeFileSync(this.configFile, renderHaproxyConfig({ ...this.input, statsSocket: this.socket }));
    const check = spawnSync(bin, ['-c', '-q', '-f', this.configFile], { encoding: 'utf8', timeout: 10_000 });
    if (check.status !== 0) throw new Error(`haproxy rejected the generated configuration: ${check.stderr || check.stdout}`);
    const logFd = openSync(path.join(this.dir, 'haproxy.log'), 'a');
    // -db: stay in the foreground (we own the process); -W is not needed for a single process.
    this.process = this.procs.spawn('haproxy', bin, ['-db', '-f', this.configFile], { stdio: ['ignore', logFd, logFd] });
  }

  alive(): boolean {
    return this.process?.alive() ?? false;
  }

  /** One runtime API command over the stats socket. */
  command(cmd: string, timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = connect(this.socket);
      let out = '';
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`haproxy stats socket did not answer "${cmd}" in ${timeoutMs} ms`));
      }, timeoutMs);
      s.setEncoding('utf8');
      s.on('connect', () => s.write(`${cmd}\n`));
      s.on('data', (d) => (out += d));
      s.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      s.on('end', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
  }

  async servers(): Promise<ServerStat[]> {
    if (!this.alive()) throw new Abort(`haproxy is not running: ${tail(path.join(this.dir, 'haproxy.log'))}`);
    return parseShowStat(await this.command('show stat'), BACKEND);
  }
}
