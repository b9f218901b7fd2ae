import cliProgress from "cli-progress";

/** How a long command reports: a bar with events/s and ETA on a terminal, plain lines otherwise. */
export interface Progress {
  add(count: number): void;
  /** Prints the final count, rate and duration. */
  done(): void;
}

const plainEveryMs = 1000;

export function startProgress(label: string, total: number, out: NodeJS.WriteStream = process.stderr): Progress {
  const started = Date.now();
  let value = 0;
  const rate = () => Math.round(value / Math.max((Date.now() - started) / 1000, 0.001));
  const summary = () => `${label}: ${value} events in ${((Date.now() - started) / 1000).toFixed(1)} s (${rate()} events/s)`;

  if (out.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total} events | {rate} events/s | ETA {eta_formatted}`, stream: out, etaBuffer: 50, fps: 10 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total, 1), 0, { rate: 0 });
    return {
      add(count) {
        value += count;
        bar.setTotal(Math.max(total, value, 1));
        bar.update(value, { rate: rate() });
      },
      done() {
        bar.stop();
        out.write(summary() + "\n");
      },
    };
  }

  let lastLine = started;
  return {
    add(count) {
      value += count;
      if (Date.now() - lastLine < plainEveryMs) return;
      lastLine = Date.now();
      const left = Math.max(total - value, 0);
      out.write(`${label}: ${value}/${total} events, ${rate()} events/s, ETA ${Math.ceil(left / Math.max(rate(), 1))} s\n`);
    },
    done() {
      out.write(summary() + "\n");
    },
  };
}
