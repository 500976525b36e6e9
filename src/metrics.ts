import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per app (not prom-client's global one), so that several apps in one
 * process — as in the tests — do not share counters. Rooms register their own metrics on it.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly workflowRuns: Counter<'status'>;

  constructor() {
    // prom-client's names already start with process_ or nodejs_: smtpflow_process_resident_memory_bytes, …
    collectDefaultMetrics({ register: this.registry, prefix: 'smtpflow_' });
    this.httpRequests = new Counter({
      name: 'smtpflow_http_requests_total',
      help: 'HTTP requests answered, by route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'smtpflow_http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [this.registry],
    });
    this.workflowRuns = new Counter({
      name: 'smtpflow_workflow_runs_total',
      help: 'Workflow runs finished in this process, by final status (Succeeded, Failed, Cancelled, …)',
      labelNames: ['status'],
      registers: [this.registry],
    });
  }
}
