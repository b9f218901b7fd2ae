export interface Frame {
  readonly id: string;
  readonly event: string;
  readonly data: any;
}

/** A Server-Sent Events client over fetch: collects frames until the stream ends or is closed. */
export async function openStream(url: string, token: string | null, query = "", headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const response = await fetch(`${url}/events/v1/stream${query}`, {
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    signal: controller.signal,
  });
  const frames: Frame[] = [];
  let notify = () => {};
  let markEnded = () => {};
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  if (response.ok) {
    void (async () => {
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
            const lines = buffer.slice(0, end).split("\n");
            buffer = buffer.slice(end + 2);
            const field = (name: string) => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
            const data = field("data");
            if (data !== undefined) frames.push({ id: field("id")!, event: field("event")!, data: JSON.parse(data) });
            notify();
          }
        }
      } catch {
        // aborted, or cut by the server
      } finally {
        markEnded();
      }
    })();
  } else markEnded();
  return {
    response,
    frames,
    /** Settles when the server ended the stream (or it was closed here). */
    ended,
    async until(count: number, timeoutMs = 5000): Promise<Frame[]> {
      const deadline = Date.now() + timeoutMs;
      while (frames.length < count) {
        if (Date.now() > deadline) throw new Error(`got ${frames.length} frames, expected ${count}`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 50);
        });
      }
      return frames;
    },
    /** Waits for a frame that `matches`, however many others come first. */
    async untilFrame(matches: (frame: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = frames.find(matches);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching frame among ${frames.length}`);
        await new Promise<void>((resolve) => {
          notify = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => controller.abort(),
  };
}
