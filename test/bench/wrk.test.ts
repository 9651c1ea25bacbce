import { describe, expect, it } from 'vitest';
import { median, parseWrk } from '../../bench/run';

// Output of `wrk -t1 -c20 -d2s --latency` (wrk 4.1.0, Debian) against bench/hello.ts on this machine.
const SAMPLE = `Running 2s test @ http://127.0.0.1:18090/
  1 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.69ms    2.59ms  31.92ms   89.51%
    Req/Sec    20.63k    10.24k   34.16k    55.00%
  Latency Distribution
     50%  746.00us
     75%    1.22ms
     90%    4.43ms
     99%   12.94ms
  41115 requests in 2.01s, 6.74MB read
Requests/sec:  20452.57
Transfer/sec:      3.35MB
`;

describe('parseWrk', () => {
  it('reads requests/s and the p50/p99 latencies in milliseconds', () => {
    expect(parseWrk(SAMPLE)).toEqual({ requests: { average: 20452.57 }, latency: { p50: 0.75, p99: 12.94 }, non2xx: 0, errors: 0, timeouts: 0 });
  });

  it('counts non-2xx answers, socket errors and timeouts', () => {
    const r = parseWrk(`${SAMPLE}  Socket errors: connect 0, read 3, write 1, timeout 7\n  Non-2xx or 3xx responses: 12\n`);
    expect(r).toMatchObject({ non2xx: 12, errors: 4, timeouts: 7 });
  });

  it('refuses output without a result rather than reporting zero', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/no 50% latency|Requests\/sec/);
  });
});

describe('median', () => {
  const run = (rps: number) => ({ requests: { average: rps }, latency: { p50: 1, p99: rps / 1000 }, non2xx: 0, errors: 0, timeouts: 0 });
  it('picks the run with the median requests/s (the lower middle one for an even count), whole, not a mix of runs', () => {
    expect(median([run(30_000), run(10_000), run(20_000)])).toEqual(run(20_000));
    expect(median([run(40_000), run(10_000), run(30_000), run(20_000)])).toEqual(run(20_000));
  });
});
