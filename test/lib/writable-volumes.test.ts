import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { newApp, Template } from '../support/synth';

/**
 * The task runs as a non-root user on a read-only root filesystem, so its only writable places are the task
 * definition's bind mounts. On Fargate, ECS creates a bind mount owned by root with mode 0755 unless the image
 * declares the path with VOLUME: then the ECS data plane copies the image's directory into the volume, and the
 * owner and mode set in the Dockerfile apply (Amazon ECS developer guide, "Use bind mounts with Amazon ECS",
 * considerations: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html). So each
 * writable mount must be a VOLUME of the image, created before it, owned by the task's user and writable by it.
 */
interface Container {
  readonly User: string;
  readonly ReadonlyRootFilesystem: boolean;
  readonly MountPoints: { readonly ContainerPath: string; readonly SourceVolume: string; readonly ReadOnly: boolean }[];
}

const dockerfile = readFileSync(path.join(__dirname, '..', '..', 'app', 'Dockerfile'), 'utf8');
const finalStage = (dockerfile.split(/^FROM /m).at(-1) ?? '').split('\n');

/** The paths each VOLUME instruction of the final stage declares (JSON or plain form), with its line. */
const volumes = finalStage.flatMap((line, index) => {
  const m = line.match(/^VOLUME\s+(.+)$/);
  if (!m) return [];
  const paths: string[] = m[1]!.trim().startsWith('[') ? JSON.parse(m[1]!) : m[1]!.trim().split(/\s+/);
  return paths.map((p) => ({ path: p, index }));
});

/** The directories the final stage creates with `install -d -o <uid> -g <gid> -m <mode> <paths>`, with their line. */
const created = finalStage.flatMap((line, index) => {
  const m = line.match(/^RUN\s+install\s+-d\s+-o\s+(\d+)\s+-g\s+(\d+)\s+-m\s+([0-7]{3,4})\s+(.+)$/);
  if (!m) return [];
  return m[4]!.trim().split(/\s+/).map((p) => ({ path: p, uid: m[1]!, gid: m[2]!, mode: parseInt(m[3]!, 8), index }));
});

describe('writable mounts of the service task', () => {
  let container: Container;
  let writable: string[];

  beforeAll(() => {
    const app = newApp();
    const built = buildApp(app);
    const [taskDefinition] = Object.values(Template.fromStack(built.primary).findResources('AWS::ECS::TaskDefinition'));
    [container] = taskDefinition!.Properties.ContainerDefinitions as Container[];
    writable = container!.MountPoints.filter((m) => !m.ReadOnly).map((m) => m.ContainerPath);
  });

  it('runs as a numeric non-root user on a read-only root filesystem, writing only to its mounts', () => {
    expect(container.ReadonlyRootFilesystem).toBe(true);
    expect(container.User).toMatch(/^[1-9]\d*:\d+$/);
    expect(writable).toEqual(['/tmp']);
  });

  it('declares every writable mount as a VOLUME of the image, so ECS copies the directory instead of creating it as root', () => {
    for (const mount of writable) expect(volumes.map((v) => v.path), mount).toContain(mount);
  });

  it("creates every writable mount, before its VOLUME, owned by the task's user and writable by it", () => {
    const [uid, gid] = container.User.split(':');
    for (const mount of writable) {
      const dir = created.find((c) => c.path === mount);
      expect(dir, `app/Dockerfile creates ${mount} with install -d -o -g -m`).toBeDefined();
      expect({ uid: dir!.uid, gid: dir!.gid }, mount).toEqual({ uid, gid });
      expect(dir!.mode & 0o700, `${mount}: the owner may read, write and enter it`).toBe(0o700);
      // Changes to a path after its VOLUME instruction are discarded by the image build.
      expect(dir!.index, `${mount} is created before its VOLUME`).toBeLessThan(volumes.find((v) => v.path === mount)!.index);
    }
  });
});
