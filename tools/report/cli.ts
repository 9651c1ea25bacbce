#!/usr/bin/env node
/**
 * `npm run report -- [path] [--json] [--output file]`: judges a cloud assembly (default `cdk.out`) or a single
 * CloudFormation template JSON, offline, and prints a Markdown report (or one JSON object).
 *
 * Exit codes: 0 no error finding; 1 an error-severity finding; 2 bad usage or unreadable input.
 */
import { writeFileSync } from 'node:fs';
import { loadInput, UsageError } from './load';
import { renderMarkdown } from './markdown';
import { buildReport, exitCodeOf } from './report';

const USAGE = 'usage: npm run report -- [path to cdk.out or template.json] [--json] [--output file]';

export interface CliOptions {
  readonly path: string;
  readonly json: boolean;
  readonly output?: string;
}

export function parseArgs(argv: readonly string[]): CliOptions | 'help' {
  let path: string | undefined;
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
    else if (path !== undefined) throw new UsageError(`one path only, got ${path} and ${arg}. ${USAGE}`);
    else path = arg;
  }
  return { path: path ?? 'cdk.out', json, output };
}

/** Runs the CLI; returns the exit code and writes to the given streams. */
export function run(argv: readonly string[], stdout: (text: string) => void, stderr: (text: string) => void): number {
  try {
    const options = parseArgs(argv);
    if (options === 'help') {
      stdout(`${USAGE}\n`);
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

if (require.main === module) {
  process.exitCode = run(
    process.argv.slice(2),
    (text) => process.stdout.write(text),
    (text) => process.stderr.write(text),
  );
}
