/**
 * What AWS Backup does for a resource, read from the template: the plans that select it and the
 * copies those plans make. Pure lookups, shared by the rules and the report's recovery model.
 */
import { CfnResource, CfnTemplate, get, isObject, list, props, refersTo, refTarget, resourcesOfType } from './template';

/** One AWS Backup rule that covers a resource. */
export interface BackupCoverage {
  readonly planId: string;
  readonly ruleName: string;
  /** The schedule, as written (`cron(0 5 * * ? *)`, `rate(1 hour)`). */
  readonly schedule?: string;
  /** Destination vault ARNs of the rule's copy actions (JSON for expressions). */
  readonly copyDestinations: readonly string[];
}

/** Resource types whose ARNs AWS Backup selections name. */
const BACKUP_SERVICE: Record<string, string> = {
  'AWS::RDS::DBInstance': 'rds',
  'AWS::RDS::DBCluster': 'rds',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::EFS::FileSystem': 'elasticfilesystem',
  'AWS::S3::Bucket': 's3',
  'AWS::EC2::Volume': 'ec2',
};

/** Every backup rule whose plan selects the resource: by reference, by a wildcard ARN, or by a tag. */
export function backupCoverage(logicalId: string, resource: CfnResource, template: CfnTemplate): BackupCoverage[] {
  const result: BackupCoverage[] = [];
  for (const [, selection] of resourcesOfType(template, 'AWS::Backup::BackupSelection')) {
    const spec = get(props(selection), 'BackupSelection');
    if (!selects(spec, logicalId, resource, template)) continue;
    const planId = refTarget(props(selection).BackupPlanId);
    const plan = planId ? template.Resources?.[planId] : undefined;
    if (!planId || plan?.Type !== 'AWS::Backup::BackupPlan') continue;
    const rules = get(props(plan), 'BackupPlan', 'BackupPlanRule');
    for (const rule of Array.isArray(rules) ? rules : []) {
      const copies = get(rule, 'CopyActions');
      result.push({
        planId,
        ruleName: String(get(rule, 'RuleName') ?? 'rule'),
        schedule: typeof get(rule, 'ScheduleExpression') === 'string' ? (get(rule, 'ScheduleExpression') as string) : undefined,
        copyDestinations: (Array.isArray(copies) ? copies : []).map((c) => {
          const arn = get(c, 'DestinationBackupVaultArn');
          return typeof arn === 'string' ? arn : JSON.stringify(arn);
        }),
      });
    }
  }
  return result;
}

function selects(spec: unknown, logicalId: string, resource: CfnResource, template: CfnTemplate): boolean {
  const service = BACKUP_SERVICE[resource.Type];
  const resources = list(get(spec, 'Resources'), template);
  if (Array.isArray(resources)) {
    for (const entry of resources) {
      if (refersTo(entry, logicalId)) return true;
      // `*` selects everything; `arn:aws:rds:*:*:db:*`-style wildcards select a whole service.
      if (entry === '*') return true;
      if (typeof entry === 'string' && service && new RegExp(`^arn:[^:]*:${service}:[^:]*:[^:]*:.*\\*`).test(entry)) return true;
    }
  }
  const tags = get(spec, 'ListOfTags');
  if (Array.isArray(tags) && tags.some((t) => hasTag(resource, get(t, 'ConditionKey'), get(t, 'ConditionValue')))) return true;
  return false;
}

function hasTag(resource: CfnResource, key: unknown, value: unknown): boolean {
  const tags = props(resource).Tags;
  if (Array.isArray(tags)) return tags.some((t) => get(t, 'Key') === key && get(t, 'Value') === value);
  // DynamoDB and a few others use a Key/Value list; S3 and others too; some use a map.
  return isObject(tags) && tags[String(key)] === value;
}

/** Copy actions that take a resource's backups out of its account or region (AWS Backup). */
export function backupCopies(logicalId: string, resource: CfnResource, template: CfnTemplate): string[] {
  return backupCoverage(logicalId, resource, template).flatMap((c) => c.copyDestinations);
}

/** The region an ARN names, when it is a literal. */
export function arnRegion(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts.length >= 6 && parts[0] === 'arn' && parts[3] !== '' && !parts[3].includes('$') ? parts[3] : undefined;
}
