import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlarmTopic, ExternalProbe, ResilienceChecks, type ExternalProbeProps } from '@ha-reference/constructs';
import { newApp, newStack } from '../../support/synth';

type Resource = { Type: string; Properties: Record<string, any> };

/** A probe in a fresh stack (us-east-1) paging a topic of that stack; its template. */
function probeStack(props: Partial<ExternalProbeProps> = {}): { stack: Stack; probe: ExternalProbe; template: Template } {
  const stack = newStack();
  const topic = new sns.Topic(stack, 'Topic');
  const probe = new ExternalProbe(stack, 'Probe', { url: 'https://primary.example.com/health/ready', topic, ...props });
  return { stack, probe, template: Template.fromStack(stack) };
}

function only(template: Template, type: string): Resource {
  const found = Object.values(template.findResources(type)) as Resource[];
  expect(found, `one ${type}`).toHaveLength(1);
  return found[0]!;
}

describe('ExternalProbe: the canary', () => {
  it('runs every minute on a Node.js runtime without a browser, within a 60 s run limit', () => {
    const { template } = probeStack();
    template.hasResourceProperties('AWS::Synthetics::Canary', {
      Schedule: { Expression: 'rate(1 minute)', DurationInSeconds: '0' },
      RuntimeVersion: 'syn-nodejs-5.2',
      RunConfig: Match.objectLike({ TimeoutInSeconds: 60 }),
      StartCanaryAfterCreation: true,
    });
  });

  it('passes the URL, the expected status and the timeout to the script', () => {
    const { template } = probeStack({ timeout: Duration.seconds(5), expectedStatus: 204 });
    const canary = only(template, 'AWS::Synthetics::Canary');
    expect(canary.Properties.RunConfig.EnvironmentVariables).toEqual({
      TARGET_URL: 'https://primary.example.com/health/ready',
      EXPECTED_STATUS: '204',
      TIMEOUT_MS: '5000',
    });
  });

  it('passes the hostname only when one is given', () => {
    const { template } = probeStack({ hostname: 'app.example.com' });
    expect(only(template, 'AWS::Synthetics::Canary').Properties.RunConfig.EnvironmentVariables.TARGET_HOSTNAME).toBe('app.example.com');
  });

  it('takes a URL that is a token, such as another stack\'s output read at deploy time', () => {
    const stack = newStack();
    const url = Fn.join('', ['https://', Fn.getStackOutput('HaPrimary', 'LoadBalancerDnsName', 'eu-west-1'), '/health/ready']);
    new ExternalProbe(stack, 'Probe', { url, topic: new sns.Topic(stack, 'Topic'), watchedRegion: 'eu-west-1' });
    const env = only(Template.fromStack(stack), 'AWS::Synthetics::Canary').Properties.RunConfig.EnvironmentVariables;
    expect(JSON.stringify(env.TARGET_URL)).toContain('"Region":"eu-west-1"');
  });

  it('runs at the given rate with the run limit set to it', () => {
    const { template } = probeStack({ rate: Duration.minutes(5) });
    template.hasResourceProperties('AWS::Synthetics::Canary', {
      Schedule: Match.objectLike({ Expression: 'rate(5 minutes)' }),
      RunConfig: Match.objectLike({ TimeoutInSeconds: 300 }),
    });
  });

  it('caps the run limit at 14 minutes for slower rates', () => {
    const { template } = probeStack({ rate: Duration.minutes(60) });
    template.hasResourceProperties('AWS::Synthetics::Canary', { RunConfig: Match.objectLike({ TimeoutInSeconds: 840 }) });
  });

  it('lets CloudFormation name the canary', () => {
    const { template } = probeStack();
    expect(only(template, 'AWS::Synthetics::Canary').Properties.Name).toMatch(/^[a-z0-9_-]{1,21}$/);
  });
});

describe('ExternalProbe: the artifacts', () => {
  it('are encrypted with a rotating customer-managed key of the probe', () => {
    const { template } = probeStack();
    const keys = template.findResources('AWS::KMS::Key');
    const [keyId] = Object.keys(keys);
    expect(Object.keys(keys)).toHaveLength(1);
    expect(keys[keyId!]!.Properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::Synthetics::Canary', {
      ArtifactConfig: { S3Encryption: { EncryptionMode: 'SSE_KMS', KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
    });
  });

  it('are encrypted with a given key instead, and no key is made', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Given', 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555');
    new ExternalProbe(stack, 'Probe', { url: 'https://primary.example.com/', topic: new sns.Topic(stack, 'Topic'), encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::Synthetics::Canary', { ArtifactConfig: { S3Encryption: { EncryptionMode: 'SSE_KMS', KmsKeyArn: key.keyArn } } });
  });

  it('are kept 7 days after a success and 31 after a failure, and expire from the bucket after the longer', () => {
    const { template } = probeStack();
    template.hasResourceProperties('AWS::Synthetics::Canary', { SuccessRetentionPeriod: 7, FailureRetentionPeriod: 31 });
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [{ ExpirationInDays: 31, Status: 'Enabled' }] } });
  });

  it('expire after the given retention', () => {
    const { template } = probeStack({ successRetention: Duration.days(40), failureRetention: Duration.days(14) });
    template.hasResourceProperties('AWS::Synthetics::Canary', { SuccessRetentionPeriod: 40, FailureRetentionPeriod: 14 });
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [{ ExpirationInDays: 40, Status: 'Enabled' }] } });
  });
});

describe('ExternalProbe: the alarm', () => {
  it('fires after 3 failed runs in a row, or when the canary stops reporting, and notifies the topic', () => {
    const { template } = probeStack();
    const canaryId = Object.keys(template.findResources('AWS::Synthetics::Canary'))[0]!;
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CloudWatchSynthetics',
      MetricName: 'SuccessPercent',
      Dimensions: [{ Name: 'CanaryName', Value: { Ref: canaryId } }],
      Statistic: 'Average',
      Period: 60,
      Threshold: 100,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  it('follows the rate and the failures to alarm; detection time is their product', () => {
    const { template, probe } = probeStack({ rate: Duration.minutes(2), failuresToAlarm: 4 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Period: 120, EvaluationPeriods: 4, DatapointsToAlarm: 4 });
    expect(probe.detectionTime.toMinutes()).toBe(8);
  });

  it('detects in 3 minutes by default', () => {
    expect(probeStack().probe.detectionTime.toSeconds()).toBe(180);
  });

  it('says in its description where it probes from, what failed, and the runbook', () => {
    const { template } = probeStack({ watchedRegion: 'eu-west-1', runbook: 'docs/disaster-recovery.md ("Lost region")' });
    const alarm = only(template, 'AWS::CloudWatch::Alarm');
    expect(alarm.Properties.AlarmDescription).toBe(
      'An external probe (served from eu-west-1) failed 3 run(s) in a row from us-east-1, or stopped reporting: the endpoint did not answer 200 within 10 s. ' +
        'Runbook: docs/disaster-recovery.md ("Lost region")',
    );
    expect(alarm.Properties.AlarmName).toBeUndefined();
  });
});

describe('ExternalProbe: the AwsSolutions and resilience checks', () => {
  let synthError: unknown;
  let stack: Stack;

  beforeAll(() => {
    // GIVEN the AwsSolutions pack and this library's resilience rules registered before anything is built
    const app = newApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ResilienceChecks(app));
    stack = newStack(app);
    // WHEN a probe pages through an AlarmTopic, as a DR site does
    const paging = new AlarmTopic(stack, 'Paging', { emailAddresses: ['oncall@example.com'] });
    new ExternalProbe(stack, 'PrimaryProbe', { url: 'https://primary.example.com/health/ready', topic: paging.topic, watchedRegion: 'eu-west-1' });
    try {
      app.synth();
    } catch (err) {
      synthError = err;
    }
  });

  it('pass, with each finding acknowledged on the resource it arises on', () => {
    expect(synthError).toBeUndefined();
  });

  it('acknowledge exactly the canary role\'s wildcards, the key actions and the bucket\'s access logs, each on its resource', () => {
    // Every acknowledgement in the stack ({ id: reason } metadata), by the path of the construct it is recorded on.
    const acknowledged: Record<string, string[]> = {};
    for (const construct of stack.node.findAll()) {
      const ids = construct.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.keys(m.data as Record<string, string>));
      if (ids.length > 0) acknowledged[construct.node.path] = ids.sort();
    }
    expect(acknowledged).toEqual({
      'Test/PrimaryProbe/Canary/ServiceRole/Resource': [
        'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions::AwsSolutions-IAM5[Resource::<PrimaryProbeCanaryArtifactsBucket0C05C807.Arn>/*]',
        'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/cwsyn-*]',
      ].sort(),
      'Test/PrimaryProbe/Canary/ServiceRole/DefaultPolicy': ['AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', 'AwsSolutions::AwsSolutions-IAM5[Action::kms:ReEncrypt*]'].sort(),
      'Test/PrimaryProbe/Canary/ArtifactsBucket': ['AwsSolutions::AwsSolutions-S1'],
    });
  });
});

describe('ExternalProbe: bad input', () => {
  it.each<[string, Partial<ExternalProbeProps>, RegExp]>([
    ['a URL of another scheme', { url: 'ftp://primary.example.com/' }, /url must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/primary.example.com\/" \(ftp\)/],
    ['a relative URL', { url: '/health/ready' }, /url must be an absolute http:\/\/ or https:\/\/ URL, got "\/health\/ready"/],
    ['a URL with credentials', { url: 'https://user:secret@primary.example.com/' }, /url must not hold credentials .*got "https:\/\/…@primary.example.com\/"/],
    ['a hostname with a scheme', { hostname: 'https://app.example.com' }, /hostname must be a DNS name such as "app.example.com" \(no scheme, port or path\), got "https:\/\/app.example.com"/],
    ['a hostname with a port', { hostname: 'app.example.com:443' }, /hostname must be a DNS name .*got "app.example.com:443"/],
    ['a status that is no HTTP status', { expectedStatus: 700 }, /expectedStatus must be an integer between 100 and 599, got 700/],
    ['a rate under a minute', { rate: Duration.seconds(30) }, /rate must be a whole number of minutes from 1 to 60, got 0.5 minutes/],
    ['a rate over an hour', { rate: Duration.hours(2) }, /rate must be a whole number of minutes from 1 to 60, got 120 minutes/],
    ['a timeout as long as the rate', { timeout: Duration.minutes(1) }, /timeout must be a whole number of seconds from 1 to 50, got 60 seconds/],
    ['a timeout of a fraction of a second', { timeout: Duration.millis(1500) }, /timeout must be a whole number of seconds from 1 to 50, got 1.5 seconds/],
    ['a timeout over the 14-minute run limit', { rate: Duration.minutes(30), timeout: Duration.minutes(14) }, /timeout must be a whole number of seconds from 1 to 830, got 840 seconds/],
    ['no failures', { failuresToAlarm: 0 }, /failuresToAlarm must be an integer between 1 and 1440, got 0/],
    ['more failures than a day of runs', { rate: Duration.minutes(5), failuresToAlarm: 289 }, /failuresToAlarm must be an integer between 1 and 288, got 289/],
    ['a fractional failure count', { failuresToAlarm: 2.5 }, /failuresToAlarm must be an integer between 1 and 1440, got 2.5/],
    ['a retention of no days', { successRetention: Duration.hours(12) }, /successRetention must be a whole number of days from 1 to 455, got 0.5 days/],
    ['a retention over 455 days', { failureRetention: Duration.days(456) }, /failureRetention must be a whole number of days from 1 to 455, got 456 days/],
    ['a browser runtime', { runtime: synthetics.Runtime.SYNTHETICS_NODEJS_PUPPETEER_13_0 }, /runtime must be a Synthetics Node.js runtime without a browser, syn-nodejs-3.1 or later, got syn-nodejs-puppeteer-13.0/],
    ['the runtime before the @aws namespace', { runtime: synthetics.Runtime.SYNTHETICS_NODEJS_3_0 }, /runtime must be .* syn-nodejs-3.1 or later, got syn-nodejs-3.0/],
    ['a Python runtime', { runtime: synthetics.Runtime.SYNTHETICS_PYTHON_SELENIUM_7_0 }, /runtime must be .*got syn-python-selenium-7.0/],
    ['the region it watches', { watchedRegion: 'us-east-1' }, /watchedRegion must differ from the probe's region \(us-east-1\), got us-east-1/],
  ])('rejects %s', (_what, props, message) => {
    expect(() => probeStack(props)).toThrow(message);
  });

  it('accepts the longest alarm window an hourly probe may have (seven days)', () => {
    expect(probeStack({ rate: Duration.minutes(60), failuresToAlarm: 168 }).probe.detectionTime.toHours()).toBe(168);
    expect(() => probeStack({ rate: Duration.minutes(60), failuresToAlarm: 169 })).toThrow(/failuresToAlarm must be an integer between 1 and 168, got 169/);
  });

  it('accepts syn-nodejs-3.1, the first runtime of the @aws namespace', () => {
    const { template } = probeStack({ runtime: synthetics.Runtime.SYNTHETICS_NODEJS_3_1 });
    template.hasResourceProperties('AWS::Synthetics::Canary', { RuntimeVersion: 'syn-nodejs-3.1' });
  });
});

/**
 * The canary script, run for real: the Script the template holds is written to index.js beside a stand-in for the
 * runtime's `@aws/synthetics-core` (only executeStep, which runs the step), and its handler is called in a separate
 * Node.js process with the canary's environment variables from the same template, against local HTTP and HTTPS
 * servers. The HTTPS server's certificate is self-signed for `probe.example.test` and trusted by the process
 * through NODE_EXTRA_CA_CERTS, so a certificate check against any other name fails as it would in AWS.
 */
describe('ExternalProbe: the script against real servers', () => {
  const CERT_NAME = 'probe.example.test';
  let dir: string;
  let httpServer: http.Server;
  let httpsServer: https.Server;
  let httpBase: string;
  let httpsBase: string;
  const seen: { path: string; host?: string; servername?: string }[] = [];

  const handle = (servername: (req: http.IncomingMessage) => string | undefined) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push({ path: req.url ?? '', host: req.headers.host, servername: servername(req) });
    if (req.url === '/ready') res.writeHead(200).end('ok');
    else if (req.url === '/down') res.writeHead(503).end('not ready');
    else if (req.url === '/created') res.writeHead(201).end();
    else if (req.url === '/hang') {
      // never answers: the probe must give up by itself
    } else res.writeHead(404).end();
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'external-probe-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${CERT_NAME}`,
      '-addext', `subjectAltName=DNS:${CERT_NAME}`, '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    httpServer = http.createServer(handle(() => undefined));
    httpsServer = https.createServer(
      { key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) },
      handle((req) => (req.socket as TLSSocket).servername || undefined),
    );
    await Promise.all([new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r)), new Promise<void>((r) => httpsServer.listen(0, '127.0.0.1', r))]);
    httpBase = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    httpsBase = `https://127.0.0.1:${(httpsServer.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    httpServer.closeAllConnections();
    httpsServer.closeAllConnections();
    await Promise.all([new Promise((r) => httpServer.close(r)), new Promise((r) => httpsServer.close(r))]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Synthesises a probe with `props`, writes its script and runs one canary run; returns how it ended. */
  async function run(props: Partial<ExternalProbeProps> & { url: string }, shape: 'named' | 'module' = 'named') {
    const canary = only(probeStack(props).template, 'AWS::Synthetics::Canary');
    expect(canary.Properties.Code.Handler).toBe('index.handler');
    const runDir = mkdtempSync(path.join(dir, 'run-'));
    writeFileSync(path.join(runDir, 'index.js'), canary.Properties.Code.Script);
    const lib = path.join(runDir, 'node_modules', '@aws', 'synthetics-core');
    mkdirSync(lib, { recursive: true });
    const executeStep = 'async (name, fn) => { process.stderr.write("step " + name + "\\n"); return fn(); }';
    writeFileSync(path.join(lib, 'index.js'), shape === 'named' ? `exports.synthetics = { executeStep: ${executeStep} };` : `exports.executeStep = ${executeStep};`);
    const runner = 'require("./index.js").handler().then((r) => console.log("PASS " + r), (e) => { console.log("FAIL " + (e && (e.code || "") + " " + e.message)); process.exitCode = 1; })';
    const started = Date.now();
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['-e', runner],
        { cwd: runDir, env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'), ...canary.Properties.RunConfig.EnvironmentVariables }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
    return { ...result, seconds: (Date.now() - started) / 1000 };
  }

  it('passes when the endpoint answers 200, in a step', async () => {
    const r = await run({ url: `${httpBase}/ready` });
    expect(r.stdout).toContain(`PASS ${httpBase}/ready answered 200`);
    expect(r.stderr).toContain('step probe');
    expect(r.code).toBe(0);
  });

  it('passes with the module itself as the library (either export shape)', async () => {
    const r = await run({ url: `${httpBase}/ready` }, 'module');
    expect(r.code).toBe(0);
  });

  it('fails when the endpoint answers 503', async () => {
    const r = await run({ url: `${httpBase}/down` });
    expect(r.stdout).toContain(`FAIL  ${httpBase}/down answered 503, expected 200`);
    expect(r.code).toBe(1);
  });

  it('fails on a 2xx other than the expected status, and passes on the expected one', async () => {
    expect((await run({ url: `${httpBase}/created` })).stdout).toContain('answered 201, expected 200');
    expect((await run({ url: `${httpBase}/created`, expectedStatus: 201 })).code).toBe(0);
  });

  it('fails after its timeout when the endpoint never answers', async () => {
    const r = await run({ url: `${httpBase}/hang`, timeout: Duration.seconds(1) });
    expect(r.stdout).toContain(`FAIL  ${httpBase}/hang did not answer within 1000 ms`);
    expect(r.code).toBe(1);
    // It gave up by itself after about a second, well before the 30 s the test would wait.
    expect(r.seconds).toBeGreaterThanOrEqual(1);
    expect(r.seconds).toBeLessThan(10);
  });

  it('fails when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await run({ url: `http://127.0.0.1:${port}/ready` });
    expect(r.stdout).toContain('FAIL ECONNREFUSED');
    expect(r.code).toBe(1);
  });

  it('sends the hostname as the Host header over HTTP', async () => {
    seen.length = 0;
    const r = await run({ url: `${httpBase}/ready`, hostname: 'app.example.com' });
    expect(r.code).toBe(0);
    expect(seen).toEqual([{ path: '/ready', host: `app.example.com:${new URL(httpBase).port}`, servername: undefined }]);
  });

  it('fails over HTTPS when the certificate is for another name than the URL\'s host (the load balancer address)', async () => {
    const r = await run({ url: `${httpsBase}/ready` });
    expect(r.stdout).toContain('FAIL ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.code).toBe(1);
  });

  it('passes over HTTPS with the hostname: sent as SNI and Host, and the certificate checked against it', async () => {
    seen.length = 0;
    const r = await run({ url: `${httpsBase}/ready`, hostname: CERT_NAME });
    expect(r.stdout).toContain(`PASS ${httpsBase}/ready (as ${CERT_NAME}) answered 200`);
    expect(r.code).toBe(0);
    expect(seen).toEqual([{ path: '/ready', host: `${CERT_NAME}:${new URL(httpsBase).port}`, servername: CERT_NAME }]);
  });

  it('still fails over HTTPS when the endpoint answers 503 under the right name', async () => {
    const r = await run({ url: `${httpsBase}/down`, hostname: CERT_NAME });
    expect(r.stdout).toContain('answered 503, expected 200');
    expect(r.code).toBe(1);
  });

  it('fails over HTTPS when the hostname is not the certificate\'s', async () => {
    const r = await run({ url: `${httpsBase}/ready`, hostname: 'other.example.test' });
    expect(r.stdout).toContain('FAIL ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.code).toBe(1);
  });
});
