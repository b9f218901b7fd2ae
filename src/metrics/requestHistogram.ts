import type { Metric, Registry } from "prom-client";

type Labels = Readonly<Record<string, string>>;

interface Series {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative), the last one above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/**
 * A histogram for the request path: prom-client's own checks, copies and hashes its labels on every
 * observation, which costs more than the rest of the metrics together. This one finds its series by
 * a key the caller builds and counts in place; a scrape renders it as prom-client renders a histogram.
 */
export function requestHistogram(registry: Registry, { name, help, buckets }: { name: string; help: string; buckets: readonly number[] }) {
  const series = new Map<string, Series>();
  const values = () =>
    [...series.values()].flatMap(({ labels, counts, sum, count }) => {
      let cumulative = 0;
      return [
        ...buckets.map((bound, i) => ({ metricName: `${name}_bucket`, labels: { le: String(bound), ...labels }, value: (cumulative += counts[i]!) })),
        { metricName: `${name}_bucket`, labels: { le: "+Inf", ...labels }, value: count },
        { metricName: `${name}_sum`, labels, value: sum },
        { metricName: `${name}_count`, labels, value: count },
      ];
    });
  const metric = {
    name,
    help,
    type: "histogram",
    aggregator: "sum",
    get: async () => ({ name, help, type: "histogram", aggregator: "sum", values: values() }),
    reset: () => series.clear(),
  };
  registry.registerMetric(metric as unknown as Metric);
  return {
    /** `key` names the series; `labels` is called only the first time it is seen. */
    observe(key: string, labels: () => Labels, value: number): void {
      let entry = series.get(key);
      if (!entry) series.set(key, (entry = { labels: labels(), counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 }));
      let i = 0;
      while (i < buckets.length && value > buckets[i]!) i++;
      entry.counts[i]!++;
      entry.sum += value;
      entry.count++;
    },
  };
}
