import { describe, expect, it } from 'vitest';
import { expectRule, isInRotation, parseShowStat, renderHaproxyConfig } from '../../../tools/rehearsal/haproxy-config';
import type { HealthCheckSettings } from '../../../tools/rehearsal/template';

const hc: HealthCheckSettings = {
  targetGroup: 'ServiceTargetGroup',
  path: '/health/ready',
  intervalSeconds: 5,
  timeoutSeconds: 4,
  healthyThreshold: 2,
  unhealthyThreshold: 2,
  matcher: '200',
  deregistrationDelaySeconds: 30,
};

const render = (overrides: Partial<HealthCheckSettings> = {}) =>
  renderHaproxyConfig({
    frontendPort: 9000,
    slots: [
      { name: 'az1-a', port: 9001 },
      { name: 'az1-b', port: 9002 },
    ],
    healthCheck: { ...hc, ...overrides },
    statsSocket: '/tmp/x/haproxy.sock',
  });

describe('renderHaproxyConfig', () => {
  it('checks the target group health check path and codes', () => {
    const cfg = render();
    expect(cfg).toContain('http-check send meth GET uri /health/ready ver HTTP/1.1');
    expect(cfg).toContain('http-check expect status 200');
  });

  it('uses the template interval, thresholds and timeout, at one fixed interval in every state', () => {
    const cfg = render({ intervalSeconds: 10, timeoutSeconds: 6, healthyThreshold: 3, unhealthyThreshold: 4 });
    expect(cfg).toContain('default-server check inter 10s fastinter 10s downinter 10s rise 3 fall 4');
    expect(cfg).toContain('timeout check 6s');
  });

  it('never retries or redispatches a request (an ALB does not)', () => {
    const cfg = render();
    expect(cfg).toMatch(/^\s+retries 0$/m);
    expect(cfg).toMatch(/^\s+no option redispatch$/m);
    expect(cfg).not.toMatch(/retry-on/);
  });

  it('balances round robin over one server line per slot, on loopback', () => {
    const cfg = render();
    expect(cfg).toContain('balance roundrobin');
    expect(cfg).toContain('server az1-a 127.0.0.1:9001');
    expect(cfg).toContain('server az1-b 127.0.0.1:9002');
    expect(cfg).toContain('bind 127.0.0.1:9000');
  });

  it('rejects no slots and duplicate slot names', () => {
    expect(() => renderHaproxyConfig({ frontendPort: 1, slots: [], healthCheck: hc, statsSocket: '/s' })).toThrow(/at least one/);
    expect(() =>
      renderHaproxyConfig({ frontendPort: 1, slots: [{ name: 'a', port: 2 }, { name: 'a', port: 3 }], healthCheck: hc, statsSocket: '/s' }),
    ).toThrow(/unique/);
  });
});

describe('expectRule', () => {
  it('maps a single code to a status rule', () => {
    expect(expectRule('200')).toBe('status 200');
  });

  it('maps ranges and lists to an exact regular expression', () => {
    expect(expectRule('200,202')).toBe('rstatus ^(200|202)$');
    expect(expectRule('200-202')).toBe('rstatus ^(200|201|202)$');
  });

  it('rejects a matcher it does not understand rather than widen it', () => {
    expect(() => expectRule('2xx')).toThrow(/unsupported target group matcher/);
    expect(() => expectRule('')).toThrow(/unsupported/);
    expect(() => expectRule('299-200')).toThrow(/reversed/);
  });
});

describe('parseShowStat', () => {
  const csv = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,chkfail,check_duration',
    'alb,FRONTEND,,,3,10,8000,100,0,0,0,0,0,,,,,OPEN,,,',
    'targets,az1-a,0,0,2,5,,50,0,0,,0,,0,0,0,0,UP,1,0,3',
    'targets,az1-b,0,0,0,0,,0,0,0,,0,,0,0,0,0,DOWN,1,40,0',
    'targets,az2-a,0,0,1,1,,3,0,0,,0,,0,0,0,0,UP 1/2,1,1,4001',
    'targets,BACKEND,0,0,3,10,800,53,0,0,0,0,,0,0,0,0,UP,2,,',
    '',
  ].join('\n');

  it('returns the servers of the backend with status, current and total sessions and health-check counters', () => {
    expect(parseShowStat(csv, 'targets')).toEqual([
      { name: 'az1-a', status: 'UP', currentSessions: 2, totalSessions: 50, failedChecks: 0, lastCheckMs: 3 },
      { name: 'az1-b', status: 'DOWN', currentSessions: 0, totalSessions: 0, failedChecks: 40, lastCheckMs: 0 },
      { name: 'az2-a', status: 'UP 1/2', currentSessions: 1, totalSessions: 3, failedChecks: 1, lastCheckMs: 4001 },
    ]);
  });

  it('reads total sessions as 0 when the output has no stot column', () => {
    const noStot = csv.replace(',stot,', ',xstot,');
    expect(parseShowStat(noStot, 'targets').map((s) => s.totalSessions)).toEqual([0, 0, 0]);
  });

  it('throws on output without the header', () => {
    expect(() => parseShowStat('Unknown command\n', 'targets')).toThrow(/no header/);
  });

  it('counts a server going down (UP 1/2) as still in rotation, a server coming up (DOWN 1/2) as not', () => {
    expect(isInRotation('UP')).toBe(true);
    expect(isInRotation('UP 1/2')).toBe(true);
    expect(isInRotation('DOWN 1/2')).toBe(false);
    expect(isInRotation('MAINT')).toBe(false);
  });
});
