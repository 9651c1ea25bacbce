// CloudWatch embedded metric format (EMF): metrics written as structured log lines, which CloudWatch
// Logs turns into metrics, so the service needs no agent and no PutMetricData permission.
// Requests are aggregated in memory and written once per interval (one line a minute, not one per
// request); circuit state changes are written at once, because an alarm on them should not wait.
// Latency is the exception: EMF takes at most 100 values per metric in one record (the specification:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
// and a sample of 100 a minute would make p99 the slowest of 100 requests, so every 100 latencies go out
// as a record of their own (one line per 100 requests, beside the 100 request log lines) and CloudWatch
// aggregates them.

/** Largest array EMF accepts for one metric value. */
export const EMF_MAX_VALUES = 100;

export interface MetricsOptions {
  readonly namespace: string;
  readonly service: string;
  /** Where a finished EMF line goes. @default - process.stdout */
  readonly sink?: (line: string) => void;
}

type Unit = 'Count' | 'Milliseconds';

export class Metrics {
  private requests = 0;
  private errors = 0;
  private clientErrors = 0;
  private shed = 0;
  private latencies: number[] = [];
  private circuitOpen = 0;
  private timer?: NodeJS.Timeout;
  private readonly sink: (line: string) => void;

  constructor(private readonly options: MetricsOptions) {
    this.sink = options.sink ?? ((line) => process.stdout.write(line + '\n'));
  }

  /** One finished request. `shed`: refused for lack of capacity (front door or bulkhead), not any 503. */
  recordRequest(status: number, latencyMs: number, options: { shed?: boolean } = {}): void {
    this.requests++;
    if (status >= 500) this.errors++;
    else if (status >= 400) this.clientErrors++;
    if (options.shed) this.shed++;
    this.latencies.push(Math.round(latencyMs * 100) / 100);
    if (this.latencies.length === EMF_MAX_VALUES) {
      this.sink(this.emf({ Latency: [this.latencies, 'Milliseconds'] }));
      this.latencies = [];
    }
  }

  /** 1 while the database circuit is open or half-open, 0 when closed; written immediately. */
  setCircuitOpen(open: boolean): void {
    this.circuitOpen = open ? 1 : 0;
    this.sink(this.emf({ CircuitOpen: [this.circuitOpen, 'Count'] }));
  }

  /** Writes the aggregated record for the interval and starts a new one. Returns the line (or undefined if idle). */
  flush(): string | undefined {
    if (this.requests === 0) return undefined;
    const values: Record<string, [number | number[], Unit]> = {
      Requests: [this.requests, 'Count'],
      Errors: [this.errors, 'Count'],
      ClientErrors: [this.clientErrors, 'Count'],
      Shed: [this.shed, 'Count'],
      ...(this.latencies.length > 0 ? { Latency: [this.latencies, 'Milliseconds'] as [number[], Unit] } : {}),
      CircuitOpen: [this.circuitOpen, 'Count'],
    };
    const line = this.emf(values);
    this.requests = this.errors = this.clientErrors = this.shed = 0;
    this.latencies = [];
    this.sink(line);
    return line;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.flush(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private emf(values: Record<string, [number | number[], Unit]>): string {
    const doc: Record<string, unknown> = {
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: this.options.namespace,
            Dimensions: [['Service']],
            Metrics: Object.entries(values).map(([Name, [, Unit]]) => ({ Name, Unit })),
          },
        ],
      },
      Service: this.options.service,
    };
    for (const [name, [value]] of Object.entries(values)) doc[name] = value;
    return JSON.stringify(doc);
  }
}
