/**
 * The package's command line, `ha-resilience` (the package's only `bin`, so `npx @ha-reference/constructs`
 * runs it too):
 *
 *   ha-resilience report [path] [--json] [--output file]
 *
 * judges a cloud assembly (default `cdk.out`) or a single CloudFormation template JSON, offline, and prints
 * a Markdown report (or one JSON object). `npm run report -- ...` in the reference repository runs the same.
 *
 * Exit codes: 0 no error finding; 1 an error-severity finding; 2 bad usage or unreadable input.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadInput, UsageError } from './load';
import { renderMarkdown } from './markdown';
import { buildReport, exitCodeOf } from './report';

/** The name of the executable, as package.json's `bin` spells it. */
export const COMMAND = 'ha-resilience';

const USAGE = `usage: ${COMMAND} report [path to cdk.out or template.json] [--json] [--output file]`;

const HELP = `${USAGE}

Judges a cloud assembly directory (default: cdk.out) or one CloudFormation template JSON file, offline,
with the resilience rules of @ha-reference/constructs, and prints findings, an availability estimate, a
recovery table and the error budget (Markdown, or one JSON object with --json).

  --json           one JSON object instead of Markdown
  --output, -o F   write the report to F instead of stdout
  --help, -h       this text
  --version        the package version

Exit codes: 0 no error finding; 1 an unacknowledged error-severity finding; 2 bad usage or unreadable input.
`;

export interface CliOptions {
  readonly path: string;
  readonly json: boolean;
  readonly output?: string;
}

/** The arguments of the `report` command. */
export function parseArgs(argv: readonly string[]): CliOptions | 'help' {
  let inputPath: string | undefined;
  let json = false;
  let output: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--json') json = true;
    else if (arg === '--output' || arg === '-o') {
      output = argv[++i];
      if (output === undefined) throw new UsageError(`--output needs a file name. ${USAGE}`);
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}. ${USAGE}`);
    else if (inputPath !== undefined) throw new UsageError(`one path only, got ${inputPath} and ${arg}. ${USAGE}`);
    else inputPath = arg;
  }
  return { path: inputPath ?? 'cdk.out', json, output };
}

/** Runs the `report` command on its arguments; returns the exit code and writes to the given streams. */
export function runReport(argv: readonly string[], stdout: (text: string) => void, stderr: (text: string) => void): number {
  try {
    const options = parseArgs(argv);
    if (options === 'help') {
      stdout(HELP);
      return 0;
    }
    const report = buildReport(loadInput(options.path));
    const text = options.json
      ? `${JSON.stringify(report, (_key, value) => (value === Number.POSITIVE_INFINITY ? null : value), 2)}\n`
      : renderMarkdown(report);
    if (options.output) {
      writeFileSync(options.output, text);
      stderr(`resilience report written to ${options.output}\n`);
    } else {
      stdout(text);
    }
    return exitCodeOf(report);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr(`report: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** Runs the command line (`argv` without node and the script): `report ...`, `--help` or `--version`. */
export function run(argv: readonly string[], stdout: (text: string) => void, stderr: (text: string) => void): number {
  const [command, ...rest] = argv;
  switch (command) {
    case 'report':
      return runReport(rest, stdout, stderr);
    case 'help':
    case '--help':
    case '-h':
      stdout(HELP);
      return 0;
    case '--version':
    case '-v':
      stdout(`${packageVersion()}\n`);
      return 0;
    case undefined:
      stderr(`${COMMAND}: a command is needed. ${USAGE}\n`);
      return 2;
    default:
      stderr(`${COMMAND}: unknown command ${command}${command.startsWith('-') ? '' : ' (the report is `report <path>`)'}. ${USAGE}\n`);
      return 2;
  }
}

/** The bin's entry point: runs on process.argv and sets the exit code. */
export function main(argv: readonly string[] = process.argv.slice(2)): void {
  process.exitCode = run(
    argv,
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  );
}

function packageVersion(): string {
  // The nearest package.json above this file: lib/report/cli.js when built, report/cli.ts in the sources.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      if (path.dirname(dir) === dir) return 'unknown';
    }
  }
}
