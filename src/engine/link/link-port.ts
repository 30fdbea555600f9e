/**
 * A {@link JobLink} across threads: `forwardLink` reads the link the upstream job writes
 * into and posts its items through a `MessagePort`; `receiveLink`, on the other thread,
 * gives the downstream job a link of its own fed by that port. Confirmations, failures
 * and how far the downstream job has read go back the other way, so the upstream sink
 * keeps its guarantees (unconfirmed records in its checkpoint, backpressure, draining)
 * as if both jobs shared one link.
 */
import type { MessagePort } from "node:worker_threads";
import { JobLink, type QueueItem } from "./job-link.js";

/** Upstream → downstream. */
type Downward<T> =
  | { readonly t: "items"; readonly items: readonly QueueItem<T>[] }
  | { readonly t: "fail"; readonly error: PortError };

/** Downstream → upstream. */
type Upward =
  | { readonly t: "read"; readonly taken: number; readonly drained: boolean }
  | { readonly t: "confirm"; readonly seq: number }
  | { readonly t: "fail"; readonly error: PortError };

export interface PortError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** Longest wait between two looks at a link that does not change, ms. */
const RECHECK_MS = 100;

/** One end of a link across threads; `close()` stops it (the port is closed). */
export interface LinkPortEnd {
  close(): void;
}

/**
 * Upstream side: takes what the upstream sink queues on `link` and posts it to `port`,
 * keeping at most `link.capacity` items in flight (not yet taken by the downstream job),
 * so a slow downstream job makes the upstream sink wait as it would in one thread. The
 * link counts as drained only when the downstream job has processed all it was sent.
 * A failure of either end fails the other.
 */
export function forwardLink<T>(link: JobLink<T>, port: MessagePort): LinkPortEnd {
  let posted = 0;
  let taken = 0;
  let remoteDrained = true;
  let outstanding = false;
  let closed = false;
  let failed = false;

  const forward = (): void => {
    if (closed) return;
    const items: QueueItem<T>[] = [];
    while (posted + items.length - taken < link.capacity) {
      const item = link.peek();
      if (item === undefined) break;
      items.push(item);
      link.take();
    }
    if (items.length > 0) {
      posted += items.length;
      port.postMessage({ t: "items", items } satisfies Downward<T>);
    }
    const now = posted > taken || !remoteDrained;
    if (now !== outstanding) {
      outstanding = now;
      link.setOutstanding(now);
    }
  };

  port.on("message", (message: Upward) => {
    if (message.t === "confirm") link.confirm(message.seq);
    else if (message.t === "read") {
      taken = message.taken;
      remoteDrained = message.drained;
      forward();
    } else if (message.t === "fail") {
      failed = true;
      link.fail(rebuild(message.error));
    }
  });

  void (async () => {
    while (!closed) {
      if (link.failure !== null) {
        if (!failed) port.postMessage({ t: "fail", error: portError(link.failure) });
        failed = true;
        return;
      }
      forward();
      await link.changed(RECHECK_MS);
    }
  })();

  return {
    close() {
      closed = true;
      port.close();
    },
  };
}

/** Options of {@link receiveLink}. */
export interface ReceiveLinkOptions {
  /** The upstream link's capacity. Default 10,000. */
  readonly capacity?: number;
}

/**
 * Downstream side: a link fed by the items `forwardLink` posts to `port`. Give it to
 * `linkedStream` as if it were the upstream job's own link; its confirmations go back
 * to the upstream sink.
 */
export function receiveLink<T>(
  port: MessagePort,
  options: ReceiveLinkOptions = {},
): { readonly link: JobLink<T> } & LinkPortEnd {
  const link = new JobLink<T>({
    id: () => {
      throw new Error("a received link has no upstream sink: ids are computed upstream");
    },
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
  });
  let closed = false;
  let failed = false;
  port.on("message", (message: Downward<T>) => {
    if (link.failure !== null) return;
    if (message.t === "items") for (const item of message.items) link.push(item);
    else {
      failed = true;
      link.fail(rebuild(message.error));
    }
  });
  link.onConfirm((seq) => {
    if (!closed) port.postMessage({ t: "confirm", seq } satisfies Upward);
  });

  void (async () => {
    let taken = -1;
    let drained: boolean | null = null;
    while (!closed) {
      if (link.failure !== null) {
        if (!failed) port.postMessage({ t: "fail", error: portError(link.failure) });
        failed = true;
        return;
      }
      if (link.taken !== taken || link.drained !== drained) {
        taken = link.taken;
        drained = link.drained;
        port.postMessage({ t: "read", taken, drained } satisfies Upward);
      }
      await link.changed(RECHECK_MS);
    }
  })();

  return {
    link,
    close() {
      closed = true;
      port.close();
    },
  };
}

/** What of an error crosses a port. */
export function portError(error: unknown): PortError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { name: "Error", message: String(error) };
}

/** An error posted through a port, as an `Error` of the same name, message and stack. */
export function rebuild(error: PortError): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  return rebuilt;
}
