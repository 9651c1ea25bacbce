/**
 * Reading the input of the report: a cloud assembly directory (through its manifest.json, nested
 * assemblies of CDK stages included) or a single CloudFormation template in JSON.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { CfnTemplate } from '../pure';

/** A problem with the input: the CLI prints the message on one line and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Rule acknowledgments recorded by `Validations.of(construct).acknowledge(...)`, by construct path. */
export type Acknowledgments = ReadonlyMap<string, Readonly<Record<string, string>>>;

export interface LoadedStack {
  /** Stack name (the artifact ID, or the file name for a single template). */
  readonly name: string;
  /** The CloudFormation stack name from the manifest (what Fn::GetStackOutput names), when it differs from `name`. */
  readonly stackName?: string;
  readonly templateFile: string;
  readonly template: CfnTemplate;
  /** Region from the assembly's environment, when it names one. */
  readonly region?: string;
  readonly acknowledgments: Acknowledgments;
}

export interface LoadedInput {
  readonly source: string;
  readonly kind: 'cloud-assembly' | 'template';
  readonly stacks: readonly LoadedStack[];
}

interface ManifestArtifact {
  readonly type?: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly properties?: { readonly templateFile?: string; readonly directoryName?: string; readonly stackName?: string };
  readonly metadata?: Record<string, Array<{ type?: string; data?: unknown }>>;
  readonly additionalMetadataFile?: string;
}

/** Loads a cloud assembly directory or a template file; throws UsageError with a one-line message. */
export function loadInput(inputPath: string): LoadedInput {
  let stats;
  try {
    stats = statSync(inputPath);
  } catch (err) {
    throw new UsageError(`${inputPath}: ${fsReason(err)} (give a cloud assembly directory such as cdk.out, or a CloudFormation template JSON file)`);
  }
  if (stats.isDirectory()) return { source: inputPath, kind: 'cloud-assembly', stacks: loadAssembly(inputPath) };
  const template = readTemplate(inputPath);
  return {
    source: inputPath,
    kind: 'template',
    stacks: [{ name: stackNameOf(inputPath), templateFile: inputPath, template, acknowledgments: new Map() }],
  };
}

function loadAssembly(dir: string): LoadedStack[] {
  const manifestPath = path.join(dir, 'manifest.json');
  let manifest: { artifacts?: Record<string, ManifestArtifact> };
  try {
    manifest = readJson(manifestPath) as typeof manifest;
  } catch (err) {
    if (err instanceof UsageError && !hasFile(dir, 'manifest.json')) {
      throw new UsageError(`${dir} is a directory without manifest.json, so not a cloud assembly (run \`cdk synth\` first, or give a template file)`);
    }
    throw err;
  }
  const stacks: LoadedStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...loadAssembly(path.join(dir, artifact.properties.directoryName)));
    }
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const templateFile = path.join(dir, artifact.properties.templateFile);
    const region = /^aws:\/\/[^/]+\/([a-z0-9-]+)$/.exec(artifact.environment ?? '')?.[1];
    stacks.push({
      name: artifact.displayName ?? id,
      stackName: artifact.properties.stackName ?? id,
      templateFile,
      template: readTemplate(templateFile),
      region: region === 'unknown-region' ? undefined : region,
      acknowledgments: acknowledgmentsOf(dir, artifact),
    });
  }
  if (stacks.length === 0) throw new UsageError(`${dir}/manifest.json lists no CloudFormation stacks`);
  return stacks;
}

function acknowledgmentsOf(dir: string, artifact: ManifestArtifact): Acknowledgments {
  let metadata = artifact.metadata ?? {};
  if (artifact.additionalMetadataFile) {
    try {
      metadata = { ...metadata, ...(readJson(path.join(dir, artifact.additionalMetadataFile)) as typeof metadata) };
    } catch {
      // Metadata only adds acknowledgments; without it every finding is reported.
    }
  }
  const result = new Map<string, Record<string, string>>();
  for (const [constructPath, entries] of Object.entries(metadata)) {
    for (const entry of Array.isArray(entries) ? entries : []) {
      if (entry.type !== 'aws:cdk:acknowledged-rules' || typeof entry.data !== 'object' || entry.data === null) continue;
      result.set(constructPath.replace(/^\//, ''), { ...result.get(constructPath.replace(/^\//, '')), ...(entry.data as Record<string, string>) });
    }
  }
  return result;
}

function readTemplate(file: string): CfnTemplate {
  const json = readJson(file);
  const resources = (json as { Resources?: unknown } | null)?.Resources;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof resources !== 'object' || resources === null || Array.isArray(resources)) {
    throw new UsageError(`${file} is not a CloudFormation template: it has no Resources section`);
  }
  for (const [id, resource] of Object.entries(resources as Record<string, unknown>)) {
    if (typeof (resource as { Type?: unknown } | null)?.Type !== 'string') {
      throw new UsageError(`${file} is not a CloudFormation template: resource ${id} has no Type`);
    }
  }
  return json as CfnTemplate;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${fsReason(err)}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    const yamlHint = /^\s*(AWSTemplateFormatVersion|Resources|Description)\s*:/m.test(text) ? ' (it looks like YAML: convert it with `cfn-flip` first)' : '';
    throw new UsageError(`${file} is not JSON${yamlHint}: ${(err as Error).message.split('\n')[0]}`);
  }
}

function hasFile(dir: string, name: string): boolean {
  try {
    return readdirSync(dir).includes(name);
  } catch {
    return false;
  }
}

function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (err as Error).message;
}

function stackNameOf(file: string): string {
  return path.basename(file).replace(/(\.template)?\.json$/i, '');
}
