/**
 * The downstream end of a {@link JobLink}: a source of one partition that hands over
 * the queued entries as soon as they are written, and the upstream watermarks.
 */
import type { Source, SourceContext, SourcePoll, SourceReader } from "../source.js";
import type { JobLink, LinkEntry } from "./job-link.js";

/** Entries per batch at most. */
const MAX_BATCH = 512;
/** Longest wait of an idle poll, in ms (the runtime wants an answer within ~100 ms). */
const IDLE_WAIT_MS = 50;

export class LinkSource<T> implements Source<LinkEntry<T>> {
  readonly description = "job link";

  constructor(private readonly link: JobLink<T>) {}

  async open(_context: SourceContext): Promise<SourceReader<LinkEntry<T>>> {
    return new LinkSourceReader(this.link);
  }
}

class LinkSourceReader<T> implements SourceReader<LinkEntry<T>> {
  readonly partitions = 1;

  constructor(private readonly link: JobLink<T>) {}

  async poll(): Promise<SourcePoll<LinkEntry<T>>> {
    const link = this.link;
    link.setOutstanding(false);
    link.throwIfFailed();
    if (link.queued === 0) {
      await link.changed(IDLE_WAIT_MS);
      link.throwIfFailed();
    }
    const first = link.peek();
    if (first === undefined) return { kind: "idle" };
    if (first.kind === "watermark") {
      link.take();
      return { kind: "watermark", partition: 0, time: first.time };
    }
    if (first.kind === "end") {
      link.take();
      return { kind: "end" };
    }
    const values: LinkEntry<T>[] = [];
    const times: number[] = [];
    for (let item = link.peek(); item?.kind === "entry" && values.length < MAX_BATCH; ) {
      values.push(item.entry);
      times.push(item.time);
      link.take();
      item = link.peek();
    }
    link.setOutstanding(true);
    return { kind: "batch", partition: 0, values, times };
  }

  async close(): Promise<void> {
    this.link.setOutstanding(false);
  }
}
