import { Duration, Token } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { checkDuration, checkInt } from '../common/validate';

/** How Route 53 probes the primary endpoint: what makes it answer with the secondary. */
export interface FailoverHealthCheckOptions {
  /**
   * Path that answers 2xx or 3xx while the primary region serves. Choose one that fails when the region cannot
   * serve (no ready task behind the load balancer), not one that follows a shared dependency that fails over
   * within the region (a Multi-AZ database failover must not move users to another region).
   */
  readonly path: string;
  /**
   * Protocol of the probe. HTTPS probes do not validate the certificate's name against the load balancer's DNS name:
   * the checker retries the handshake without SNI
   * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html, EnableSNI).
   * @default 'HTTPS'
   */
  readonly protocol?: 'HTTP' | 'HTTPS';
  /**
   * Seconds between probes of each Route 53 checker: 10 (fast, billed as an optional feature) or 30.
   * @default Duration.seconds(10)
   */
  readonly interval?: Duration;
  /**
   * Probes in a row that change the status (1 to 10). Detection ≈ interval × failureThreshold.
   * @default 3
   */
  readonly failureThreshold?: number;
}

export interface DnsFailoverProps {
  /**
   * The public hosted zone, imported without a lookup (`HostedZone.fromHostedZoneAttributes`) so synthesis stays
   * offline.
   */
  readonly hostedZone: route53.IHostedZone;
  /** Name users call, inside the zone and not its apex (the records are CNAMEs, which the apex cannot hold). */
  readonly recordName: string;
  /** DNS name of the primary region's endpoint (its load balancer): the PRIMARY record, watched by the health check. */
  readonly primaryDnsName: string;
  /** DNS name of the standby region's endpoint: the SECONDARY record, answered while the primary is unhealthy. */
  readonly secondaryDnsName: string;
  /** The probe that decides between them. */
  readonly healthCheck: FailoverHealthCheckOptions;
  /**
   * TTL of both records: how long resolvers keep the old answer after the status changed.
   * @default Duration.seconds(60)
   */
  readonly ttl?: Duration;
}

/**
 * Route 53 failover routing between two regions: a PRIMARY CNAME on the primary endpoint with a health check, and a
 * SECONDARY CNAME on the standby endpoint, answered while the health check reports the primary unhealthy
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-types.html). The secondary has no health
 * check of its own: when both fail, Route 53 keeps answering with the primary, and the secondary answers as soon as
 * the primary is seen down.
 *
 * DNS moves users; it does not promote a database. Until the standby's database is promoted, the standby serves
 * reads and refuses writes (the runbook or plan does the promotion). Users reach the standby within
 * `detectionTime` + `ttl` of the primary failing.
 */
export class DnsFailover extends Construct {
  public readonly healthCheck: route53.HealthCheck;
  public readonly primaryRecord: route53.CnameRecord;
  public readonly secondaryRecord: route53.CnameRecord;
  /** Time from the primary failing to Route 53 seeing it down: interval × failure threshold. */
  public readonly detectionTime: Duration;
  public readonly ttl: Duration;
  /** The name users call. */
  public readonly recordName: string;

  constructor(scope: Construct, id: string, props: DnsFailoverProps) {
    super(scope, id);
    const interval = props.healthCheck.interval ?? Duration.seconds(10);
    const failureThreshold = props.healthCheck.failureThreshold ?? 3;
    const ttl = props.ttl ?? Duration.seconds(60);
    validate(props, interval, failureThreshold, ttl);

    const protocol = props.healthCheck.protocol ?? 'HTTPS';
    this.healthCheck = new route53.HealthCheck(this, 'PrimaryHealthCheck', {
      type: protocol === 'HTTPS' ? route53.HealthCheckType.HTTPS : route53.HealthCheckType.HTTP,
      fqdn: props.primaryDnsName,
      port: protocol === 'HTTPS' ? 443 : 80,
      resourcePath: props.healthCheck.path,
      requestInterval: interval,
      failureThreshold,
    });

    const record = (recordId: string, failover: route53.Failover, domainName: string, healthCheck?: route53.IHealthCheck) =>
      new route53.CnameRecord(this, recordId, {
        zone: props.hostedZone,
        recordName: props.recordName,
        domainName,
        ttl,
        failover,
        setIdentifier: failover.toLowerCase(),
        healthCheck,
      });
    this.primaryRecord = record('PrimaryRecord', route53.Failover.PRIMARY, props.primaryDnsName, this.healthCheck);
    this.secondaryRecord = record('SecondaryRecord', route53.Failover.SECONDARY, props.secondaryDnsName);

    this.detectionTime = Duration.seconds(interval.toSeconds() * failureThreshold);
    this.ttl = ttl;
    this.recordName = props.recordName;
  }
}

function validate(props: DnsFailoverProps, interval: Duration, failureThreshold: number, ttl: Duration): void {
  if (!interval.isUnresolved() && ![10, 30].includes(interval.toSeconds({ integral: false }))) {
    throw new Error(`healthCheck.interval must be 10 or 30 seconds (Route 53 RequestInterval), got ${interval.toSeconds({ integral: false })} seconds`);
  }
  checkInt('healthCheck.failureThreshold', failureThreshold, 1, 10);
  checkDuration('ttl', ttl, 'seconds', 1, 86_400);
  const path = props.healthCheck.path;
  if (!Token.isUnresolved(path) && (!path.startsWith('/') || path.length > 255)) {
    throw new Error(`healthCheck.path must start with "/" and be at most 255 characters (Route 53 ResourcePath), got "${path}"`);
  }
  const zoneName = props.hostedZone.zoneName;
  if (!Token.isUnresolved(props.recordName) && !Token.isUnresolved(zoneName)) {
    const name = props.recordName.replace(/\.$/, '');
    const zone = zoneName.replace(/\.$/, '');
    if (name === zone || !name.endsWith(`.${zone}`)) {
      throw new Error(`recordName must be a name inside the zone "${zone}" other than its apex (a CNAME cannot be at the apex), got "${props.recordName}"`);
    }
  }
}
