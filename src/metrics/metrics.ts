import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EventStore } from "../events/eventStore.js";
import { requestHistogram } from "./requestHistogram.js";

/** How a request came in: REST (HTTP/1.1 or HTTP/2) or one of connect-node's three RPC protocols. */
export type Transport = "rest" | "grpc" | "grpc-web" | "connect";

/** What a scrape reads at the moment it is taken. */
export interface ScrapeSources {
  readonly headPosition: () => Promise<bigint>;
  readonly projectionPosition: () => Promise<bigint>;
  /** When the first event after `position` was appended (ms since the epoch); undefined when there is none. */
  readonly appendedAfter: (position: bigint) => Promise<number | undefined>;
  readonly parkedEvents: () => Promise<number>;
  readonly openStreams: () => number;
  readonly webhookBacklog: () => Promise<number>;
}

/**
 * The service's Prometheus metrics (`GET /debug/metrics`), one registry per running service. Label
 * values come from code and descriptors only (method names, route templates, gRPC codes), never
 * from a raw path, an id or anything else a client chooses, so their number stays bounded.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = requestHistogram(registry, {
    name: "idledger_request_duration_seconds",
    help: "API requests by method (RPC name, or route template beside the API), transport and gRPC code, and how long they took",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const appends = new Histogram({
    name: "idledger_event_store_append_duration_seconds",
    help: "Appends to the event store, until acknowledged (fsync'd on the embedded log)",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  const batches = new Histogram({
    name: "idledger_event_store_commit_batch_appends",
    help: "Appends committed together by the embedded log's group commit (one fsync each)",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers,
  });
  const rebuilds = new Counter({ name: "idledger_projection_rebuilds_total", help: "Read-model rebuilds from the whole log run by this process", registers });
  const webhookAttempts = new Counter({
    name: "idledger_webhook_attempts_total",
    help: "Webhook deliveries tried, by outcome",
    labelNames: ["outcome"] as const,
    registers,
  });
  const deadLetters = new Counter({ name: "idledger_webhook_dead_letters_total", help: "Events a webhook target did not accept after every attempt", registers });

  return {
    registry,
    request(method: string, transport: Transport, code: number, seconds: number): void {
      requests.observe(`${method}\0${transport}\0${code}`, () => ({ method, transport, code: String(code) }), seconds);
    },
    /** The store, timing each append. */
    timedAppends(store: EventStore): EventStore {
      return {
        ...store,
        async append(stream, events, options) {
          const end = appends.startTimer();
          try {
            return await store.append(stream, events, options);
          } finally {
            end();
          }
        },
      };
    },
    commitBatch: (size: number) => batches.observe(size),
    rebuilt: () => rebuilds.inc(),
    webhookAttempt: (outcome: "delivered" | "failed") => webhookAttempts.inc({ outcome }),
    webhookDeadLetter: () => deadLetters.inc(),
    /** The gauges read at scrape time. */
    watch(sources: ScrapeSources): void {
      const gauge = (name: string, help: string, read: () => Promise<number> | number) =>
        new Gauge({
          name,
          help,
          registers,
          async collect() {
            this.set(await read());
          },
        });
      gauge("idledger_log_head_position", "Position of the last event in the log", async () => Number(await sources.headPosition()));
      gauge("idledger_projection_position", "Position of the last event the read model reflects", async () => Number(await sources.projectionPosition()));
      gauge("idledger_projection_lag_events", "Events in the log the read model does not reflect yet", async () =>
        Number((await sources.headPosition()) - (await sources.projectionPosition())),
      );
      gauge("idledger_projection_lag_seconds", "How long ago the oldest event the read model does not reflect yet was appended; 0 when caught up", async () => {
        const appendedAt = await sources.appendedAfter(await sources.projectionPosition());
        return appendedAt === undefined ? 0 : Math.max(0, (Date.now() - appendedAt) / 1000);
      });
      gauge("idledger_projection_parked_events", "Events the projection could not apply and parked (idledger failed-events)", sources.parkedEvents);
      gauge("idledger_sse_streams", "Open Server-Sent Events streams", sources.openStreams);
      gauge("idledger_webhook_backlog_events", "Events in the log after the checkpoints of the webhook targets this instance delivers to", sources.webhookBacklog);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
