import { ArnFormat, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from '../common/acknowledge';
import { newEncryptionKey } from '../common/encryption-key';
import { checkDuration, checkInt } from '../common/validate';

export interface ExternalProbeProps {
  /**
   * The URL the probe GETs, `http://` or `https://`: typically the readiness endpoint of a service in another
   * region (`https://<load balancer DNS name>/health/ready`). May be a token (a `Fn::GetStackOutput`), and then
   * it is not checked at synth.
   */
  readonly url: string;
  /**
   * The name the probe asks for: sent as the `Host` header and, over HTTPS, as the TLS server name (SNI), and
   * the name the server's certificate is checked against. Set it when `url` names a load balancer's DNS name but
   * the certificate (and the listener rules) are for a record such as `app.example.com`.
   * @default - the host of `url`
   */
  readonly hostname?: string;
  /**
   * The HTTP status a healthy endpoint answers; any other status fails the run.
   * @default 200
   */
  readonly expectedStatus?: number;
  /**
   * How long one request may take, from the connection to the response's status line; a slower answer fails the
   * run. Whole seconds, at most 10 s less than the run's own limit (`rate`, at most 14 minutes).
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Time between runs: whole minutes from 1 to 60. Detection takes about `rate` × `failuresToAlarm`.
   * @default Duration.minutes(1)
   */
  readonly rate?: Duration;
  /**
   * Failed runs in a row that raise the alarm. CloudWatch limits `rate` × `failuresToAlarm` to one day (seven
   * days when `rate` is 60 minutes).
   * @default 3
   */
  readonly failuresToAlarm?: number;
  /**
   * The topic the alarm notifies, in this (the probing) region, so that the page does not depend on the region
   * being watched. CloudWatch must be allowed to publish to it (an `AlarmTopic` is).
   */
  readonly topic: sns.ITopic;
  /**
   * The region `url` is served from. When given, it must differ from this stack's region: a probe in the region
   * it watches goes down with it.
   * @default - not checked
   */
  readonly watchedRegion?: string;
  /**
   * Added to the alarm's description: what to do when it fires (a runbook's address or section).
   * @default - none
   */
  readonly runbook?: string;
  /**
   * Key that encrypts the run artifacts (logs, reports) in the canary's bucket.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the records and artifacts of successful runs are kept: whole days from 1 to 455.
   * @default Duration.days(7)
   */
  readonly successRetention?: Duration;
  /**
   * How long the records and artifacts of failed runs are kept: whole days from 1 to 455.
   * @default Duration.days(31)
   */
  readonly failureRetention?: Duration;
  /**
   * Synthetics runtime: a Node.js runtime without a browser, `syn-nodejs-3.1` or later (the script loads
   * `@aws/synthetics-core`).
   * @default - syn-nodejs-5.2 (Lambda Node.js 22)
   */
  readonly runtime?: synthetics.Runtime;
}

/**
 * Watches an endpoint from outside the region that serves it: a CloudWatch Synthetics canary in this region GETs
 * `url` every `rate` and fails a run on any status but `expectedStatus`, a timeout, a refused connection or a
 * certificate that does not match; an alarm notifies `topic` after `failuresToAlarm` failed runs in a row, or when
 * the canary stops reporting. Deploy it in another region than the one it watches, with a topic of this region, and
 * the page still goes out when the watched region is gone.
 *
 * The artifacts bucket is encrypted with a customer-managed key and its objects expire with the longer retention.
 */
export class ExternalProbe extends Construct {
  /**
   * The default runtime. aws-cdk-lib 2.276 names syn-nodejs-3.0 and 3.1 only, both on Lambda Node.js 20, which is
   * end of life; 5.2 is the newest Node.js runtime without a browser
   * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Library_Nodejs.html).
   */
  public static readonly DEFAULT_RUNTIME = new synthetics.Runtime('syn-nodejs-5.2', synthetics.RuntimeFamily.NODEJS);

  public readonly canary: synthetics.Canary;
  /** Fires after `failuresToAlarm` failed runs in a row, or when the canary stops reporting; notifies `topic`. */
  public readonly alarm: cloudwatch.Alarm;
  /** The key that encrypts the run artifacts. */
  public readonly encryptionKey: kms.IKey;
  /**
   * How long an outage takes to raise the alarm: `rate` × `failuresToAlarm`, counted from the first failed run
   * (the first run after the outage starts comes up to one `rate` later).
   */
  public readonly detectionTime: Duration;

  constructor(scope: Construct, id: string, props: ExternalProbeProps) {
    super(scope, id);
    const rate = props.rate ?? Duration.minutes(1);
    const timeout = props.timeout ?? Duration.seconds(10);
    const failuresToAlarm = props.failuresToAlarm ?? 3;
    const expectedStatus = props.expectedStatus ?? 200;
    const successRetention = props.successRetention ?? Duration.days(7);
    const failureRetention = props.failureRetention ?? Duration.days(31);
    const runtime = props.runtime ?? ExternalProbe.DEFAULT_RUNTIME;
    const region = Stack.of(this).region;

    checkUrl(props.url);
    if (props.hostname !== undefined) checkHostname(props.hostname);
    checkInt('expectedStatus', expectedStatus, 100, 599);
    checkDuration('rate', rate, 'minutes', 1, 60);
    const rateMinutes = rate.toMinutes();
    // A run may last as long as the time between runs, at most 14 minutes (RunConfig.TimeoutInSeconds, 3 to 840:
    // https://docs.aws.amazon.com/AmazonSynthetics/latest/APIReference/API_CanaryRunConfigInput.html); the request
    // leaves 10 s of it for the runtime to start and report.
    const runSeconds = Math.min(rateMinutes * 60, 840);
    checkDuration('timeout', timeout, 'seconds', 1, runSeconds - 10);
    // Period × evaluation periods: at most one day for periods under an hour, seven days otherwise
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html, Period).
    checkInt('failuresToAlarm', failuresToAlarm, 1, Math.floor((rateMinutes < 60 ? 1440 : 10_080) / rateMinutes));
    checkDuration('successRetention', successRetention, 'days', 1, 455);
    checkDuration('failureRetention', failureRetention, 'days', 1, 455);
    checkRuntime(runtime);
    if (props.watchedRegion !== undefined && !Token.isUnresolved(props.watchedRegion) && !Token.isUnresolved(region) && props.watchedRegion === region) {
      throw new Error(`watchedRegion must differ from the probe's region (${region}), got ${props.watchedRegion}: a probe in the region it watches goes down with it`);
    }

    this.detectionTime = Duration.minutes(rateMinutes * failuresToAlarm);
    this.encryptionKey = props.encryptionKey ?? newEncryptionKey(this, 'Key', 'Encrypts the run artifacts (logs, reports) of an external probe canary');

    const environmentVariables: Record<string, string> = {
      TARGET_URL: props.url,
      EXPECTED_STATUS: String(expectedStatus),
      TIMEOUT_MS: String(timeout.toMilliseconds()),
    };
    if (props.hostname !== undefined) environmentVariables.TARGET_HOSTNAME = props.hostname;

    const keepDays = Math.max(successRetention.toDays(), failureRetention.toDays());
    this.canary = new synthetics.Canary(this, 'Canary', {
      runtime,
      schedule: synthetics.Schedule.rate(rate),
      timeout: Duration.seconds(runSeconds),
      test: synthetics.Test.custom({ handler: 'index.handler', code: synthetics.Code.fromInline(PROBE_SCRIPT) }),
      environmentVariables,
      // SSE-KMS for the artifacts: documented for syn-nodejs-puppeteer-3.3 and later runtimes
      // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_artifact_encryption.html);
      // the Node.js runtimes without a browser are later still (assumed covered: not yet deployed from here).
      artifactS3EncryptionMode: synthetics.ArtifactsEncryptionMode.KMS,
      artifactS3KmsKey: this.encryptionKey,
      successRetentionPeriod: successRetention,
      failureRetentionPeriod: failureRetention,
      // The retention periods bound what Synthetics shows of past runs, not the objects in the bucket
      // (https://docs.aws.amazon.com/AmazonSynthetics/latest/APIReference/API_CreateCanary.html): expire those too.
      artifactsBucketLifecycleRules: [{ expiration: Duration.days(keepDays) }],
      provisionedResourceCleanup: true,
    });
    this.acknowledgeCanaryFindings(keepDays);

    const where = props.watchedRegion && !Token.isUnresolved(props.watchedRegion) ? ` (served from ${props.watchedRegion})` : '';
    const probeRegion = Token.isUnresolved(region) ? 'another region' : region;
    this.alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription:
        `An external probe${where} failed ${failuresToAlarm} run(s) in a row from ${probeRegion}, or stopped reporting: ` +
        `the endpoint did not answer ${expectedStatus} within ${timeout.toSeconds()} s.` +
        (props.runbook ? ` Runbook: ${props.runbook}` : ''),
      metric: this.canary.metricSuccessPercent({ period: rate, statistic: 'Average' }),
      threshold: 100,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: failuresToAlarm,
      datapointsToAlarm: failuresToAlarm,
      // A canary that stopped running (or whose runs time out before reporting) watches nothing: alarm.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
  }

  /** The Canary construct's own role and bucket: each finding acknowledged on the resource it arises on. */
  private acknowledgeCanaryFindings(keepDays: number): void {
    const stack = Stack.of(this);
    const role = this.canary.role.node.defaultChild!;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'the Synthetics runtime needs s3:ListAllMyBuckets (no resource-level permission exists) and cloudwatch:PutMetricData, ' +
        'which the Canary construct limits to the CloudWatchSynthetics namespace by condition',
    });
    acknowledgeWildcardResources(role, [`${this.canary.artifactsBucket.bucketArn}/*`], 'the canary writes its run artifacts as new objects into its own artifacts bucket only');
    acknowledgeWildcardResources(
      role,
      // The same ARN the Canary construct grants (Stack.formatArn, COLON_RESOURCE_NAME).
      [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/lambda/cwsyn-*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      'the canary function writes to its own log group, which Synthetics names /aws/lambda/cwsyn-<name>-<id>, unknown at synth',
    );
    // The grant on the artifacts key (the Canary construct's grantEncryptDecrypt) is the role's default policy.
    const policy = this.canary.role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge(
        { id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason: 'data-key actions on the one artifacts key of this probe (the statement\'s resource is that key only)' },
        { id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason: 're-encrypt actions on the one artifacts key of this probe (the statement\'s resource is that key only)' },
      );
    }
    Validations.of(this.canary.artifactsBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'S3 access logs answer "who read or wrote these objects"; here the only writer is the canary\'s own role and the objects are the ' +
        `logs and reports of its GET requests (no user data), expired after ${keepDays} days. An access log bucket would itself need ` +
        'one (the same finding), to record nothing a reader needs',
    });
  }
}

function checkUrl(url: string): void {
  if (Token.isUnresolved(url)) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`url must be an absolute http:// or https:// URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`url must be an http:// or https:// URL, got ${JSON.stringify(url)} (${parsed.protocol.replace(/:$/, '')})`);
  }
  if (parsed.username || parsed.password) {
    throw new Error(`url must not hold credentials (they would be stored in the canary's configuration), got ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@'))}`);
  }
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

function checkHostname(hostname: string): void {
  if (Token.isUnresolved(hostname)) return;
  if (!HOSTNAME.test(hostname)) {
    throw new Error(`hostname must be a DNS name such as "app.example.com" (no scheme, port or path), got ${JSON.stringify(hostname)}`);
  }
}

function checkRuntime(runtime: synthetics.Runtime): void {
  const match = /^syn-nodejs-(\d+)\.(\d+)$/.exec(runtime.name);
  const [major, minor] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (runtime.family !== synthetics.RuntimeFamily.NODEJS || !match || major < 3 || (major === 3 && minor < 1)) {
    throw new Error(`runtime must be a Synthetics Node.js runtime without a browser, syn-nodejs-3.1 or later, got ${runtime.name}`);
  }
}

/**
 * The canary: one GET of TARGET_URL per run, which must answer EXPECTED_STATUS within TIMEOUT_MS. With
 * TARGET_HOSTNAME, that name is the Host header and the TLS server name, so the certificate is checked against it.
 * A fresh connection each run (no keep-alive agent), so every run also resolves the name and completes a handshake.
 * The Node.js runtimes without a browser load the library as `@aws/synthetics-core` from syn-nodejs-3.1 on
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Library_Nodejs.html); its
 * type definitions export it as `synthetics`, so both that export and the module itself are accepted.
 */
export const PROBE_SCRIPT = `
const core = require('@aws/synthetics-core');
const synthetics = core.synthetics || core;
const http = require('http');
const https = require('https');

function probe(env) {
  const url = new URL(env.TARGET_URL);
  const expected = Number(env.EXPECTED_STATUS);
  const timeoutMs = Number(env.TIMEOUT_MS);
  const hostname = env.TARGET_HOSTNAME || undefined;
  const client = url.protocol === 'https:' ? https : http;
  const headers = {};
  if (typeof synthetics.getCanaryUserAgentString === 'function') headers['User-Agent'] = synthetics.getCanaryUserAgentString();
  const options = { method: 'GET', headers, agent: false };
  if (hostname) {
    headers.Host = url.port ? hostname + ':' + url.port : hostname;
    if (client === https) options.servername = hostname;
  }
  const target = url.href + (hostname ? ' (as ' + hostname + ')' : '');
  return new Promise((resolve, reject) => {
    let timer;
    const req = client.request(url, options, (res) => {
      clearTimeout(timer);
      res.resume();
      if (res.statusCode === expected) resolve(target + ' answered ' + res.statusCode);
      else reject(new Error(target + ' answered ' + res.statusCode + ', expected ' + expected));
    });
    timer = setTimeout(() => req.destroy(new Error(target + ' did not answer within ' + timeoutMs + ' ms')), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

exports.probe = probe;
exports.handler = async () => synthetics.executeStep('probe', () => probe(process.env));
`;
