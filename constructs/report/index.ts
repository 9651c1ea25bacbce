/**
 * `@ha-reference/constructs/report`: the offline resilience report of a cloud assembly or a template
 * (findings, availability estimate, recovery table, error budget), the code behind the `ha-resilience`
 * command. TypeScript-only, like `./pure`: not part of the jsii API.
 */
export * from './load';
export * from './findings';
export * from './availability';
export * from './recovery';
export * from './region';
export * from './budget';
export * from './report';
export * from './markdown';
export { COMMAND, main, parseArgs, run, runReport, type CliOptions } from './cli';
