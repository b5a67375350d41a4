import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const WRITE_ROUTES = new Set(['/v1/playtime', '/v1/playtime/batch', '/v1/playtime/beacon']);

/**
 * Prometheus metrics of this instance, on a registry of its own (several apps in one process,
 * as in tests, do not collide). Process metrics (RSS, CPU, event-loop lag) come from prom-client.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  private readonly durationByRoute = new Map<string, { observe(seconds: number): void }>();
  private readonly accepted = new Counter({ name: 'playtime_heartbeats_accepted_total', help: 'Heartbeats accepted (202/204)', registers: [this.registry] });
  private readonly rejected = new Counter({
    name: 'playtime_write_requests_rejected_total',
    help: 'Write requests refused, by status (400 invalid, 401 unauthenticated, 413/415, 503 draining or saturated)',
    labelNames: ['status_code'],
    registers: [this.registry],
  });
  private readonly throttled = new Counter({ name: 'playtime_write_requests_throttled_total', help: 'Write requests answered 429', registers: [this.registry] });
  private readonly flushDuration = new Histogram({
    name: 'playtime_flush_duration_seconds',
    help: 'Duration of committed flushes, retries included',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly flushRows = new Histogram({
    name: 'playtime_flush_rows',
    help: 'Rows written per flush (sessions, history items, hourly buckets)',
    buckets: [1, 10, 100, 1000, 5000, 10000, 50000],
    registers: [this.registry],
  });
  private readonly flushStatements = new Histogram({
    name: 'playtime_flush_statements',
    help: 'SQL statements per flush, BEGIN and COMMIT included',
    buckets: [2, 4, 6, 8, 10, 20],
    registers: [this.registry],
  });
  private readonly flushFailures = new Counter({ name: 'playtime_flush_failures_total', help: 'Flush attempts that failed (retried)', registers: [this.registry] });
  private readonly setAside = new Counter({
    name: 'playtime_items_set_aside_total',
    help: 'History items the database refused for their data, set aside in ingest_rejects (by SQLSTATE)',
    labelNames: ['code'],
    registers: [this.registry],
  });
  private readonly redisFallbacks = new Counter({
    name: 'playtime_redis_fallbacks_total',
    help: 'Operations done without Redis because it failed or did not answer (throttler: in-memory limit of this instance; cache: read from the database)',
    labelNames: ['component'],
    registers: [this.registry],
  });
  private pendingSource: () => number = () => 0;
  private cacheStatsSource: () => { hits: number; misses: number } | undefined = () => undefined;

  constructor(private readonly adapterHost: HttpAdapterHost) {
    collectDefaultMetrics({ register: this.registry });
    const pending = () => this.pendingSource();
    const cacheStats = () => this.cacheStatsSource();
    new Gauge({
      name: 'playtime_pending_items',
      help: 'History items waiting for a flush or in one',
      registers: [this.registry],
      collect() {
        this.set(pending());
      },
    });
    for (const kind of ['hits', 'misses'] as const) {
      new Counter({
        name: `catalog_cache_${kind}_total`,
        help: `Catalogue cache ${kind}`,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(cacheStats()?.[kind] ?? 0);
        },
      });
    }
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    // Callback style (no promise per request), and one labelled child per method, route and status
    // (all bounded: route patterns, not URLs), so prom-client does not hash the labels each time.
    fastify?.addHook('onResponse', (req, reply, done) => {
      const route = req.routeOptions?.url ?? 'unmatched';
      const status = reply.statusCode;
      const key = `${req.method} ${status} ${route}`;
      let child = this.durationByRoute.get(key);
      if (!child) {
        child = this.httpDuration.labels({ method: req.method, route, status_code: String(status) });
        this.durationByRoute.set(key, child);
      }
      child.observe(reply.elapsedTime / 1000);
      if (WRITE_ROUTES.has(route) && status >= 400) {
        if (status === 429) this.throttled.inc();
        else this.rejected.inc({ status_code: String(status) });
      }
      done();
    });
  }

  /** The catalogue cache reports its hits and misses here (the owner pushes; metrics imports nothing). */
  trackCatalogCache(source: () => { hits: number; misses: number }): void {
    this.cacheStatsSource = source;
  }

  trackPending(source: () => number): void {
    this.pendingSource = source;
  }

  heartbeatsAccepted(n: number): void {
    this.accepted.inc(n);
  }

  flushed(ms: number, rows: number, statements: number): void {
    this.flushDuration.observe(ms / 1000);
    this.flushRows.observe(rows);
    this.flushStatements.observe(statements);
  }

  flushFailed(): void {
    this.flushFailures.inc();
  }

  itemSetAside(code: string): void {
    this.setAside.inc({ code });
  }

  /** `n` operations of `component` done without Redis (0 creates the series). */
  redisFallback(component: 'throttler' | 'cache', n = 1): void {
    this.redisFallbacks.inc({ component }, n);
  }

}
