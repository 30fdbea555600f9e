/**
 * The downstream job's side of a {@link JobLink}: the records, each once, with the
 * upstream event times and watermarks, plus the sink step that confirms them to the
 * upstream job when the downstream checkpoint covering them commits.
 */
import type { Batch } from "../batch.js";
import type { Sink, SinkWriter } from "../sink.js";
import type { KeyedProcessFunction } from "../state/keyed-process-function.js";
import { mapState } from "../state/state-descriptor.js";
import { type SinkStep, type Stream, source } from "../stream/stream.js";
import type { JobLink, LinkEntry } from "./job-link.js";

/**
 * What the dedup step remembers of an id: the upstream run and epoch it was written in,
 * or `ORPHANED` when that run is gone without a checkpoint covering it (the id stays
 * until it is written again). A bare number is an epoch remembered before runs were
 * recorded (of no known run).
 */
type Written = readonly [run: string, epoch: number] | number;
const ORPHANED = -1;

/** The records a linked job reads, and the sink step it must include. */
export interface LinkedStream<T> {
  /** Each record once, in the order written, at its upstream event time. */
  readonly records: Stream<T>;
  /** Confirms what the downstream job has read; put it among the job's outputs. */
  readonly confirm: SinkStep;
}

/**
 * Reads `link` in a downstream job as steps `<name>` (the source), `<name>-dedup` (drops
 * records taken before, by id; its state is the ids that a restore upstream could send
 * again) and `<name>-confirm` (a sink). Event time is the upstream job's: the source's
 * watermark is the one the upstream sink step passes on.
 */
export function linkedStream<T>(name: string, link: JobLink<T>): LinkedStream<T> {
  const raw = source(name, link.source(), {
    maxOutOfOrderness: Number.POSITIVE_INFINITY,
    idleTimeout: Number.POSITIVE_INFINITY,
    advanceWhenQuiet: false,
  });
  const seen = mapState<string, Written>("seen");
  const dedup: KeyedProcessFunction<number, LinkEntry<T>, T> = {
    processElement(entry, ctx) {
      const ids = ctx.state(seen);
      if (entry.kind === "forget") {
        const keep = new Set(entry.keep);
        const last = new Map(entry.lineage.map((r) => [r.run, r.last]));
        const current = entry.lineage.at(-1)?.run;
        const forgotten: string[] = [];
        const orphaned: string[] = [];
        for (const [id, written] of ids.entries()) {
          if (typeof written === "number") {
            if (written !== ORPHANED) orphaned.push(id);
            continue;
          }
          const [run, epoch] = written;
          const covered = last.get(run);
          if (covered !== undefined && epoch <= covered) {
            if (!keep.has(id)) forgotten.push(id);
          } else if (run !== current) {
            orphaned.push(id);
          }
        }
        for (const id of forgotten) ids.delete(id);
        for (const id of orphaned) ids.set(id, ORPHANED);
        return;
      }
      const known = ids.get(entry.id);
      if (known === undefined) {
        ids.set(entry.id, [entry.run, entry.epoch]);
        ctx.emit(entry.value);
      } else if (typeof known === "number" || known[0] !== entry.run || entry.epoch > known[1]) {
        // Written again (by a run after a restart upstream): it is now of that run.
        ids.set(entry.id, [entry.run, entry.epoch]);
      }
    },
  };
  const records = raw.keyBy(() => 0).process(`${name}-dedup`, dedup);
  const confirm = raw.to(`${name}-confirm`, new LinkConfirmSink(link));
  return { records, confirm };
}

/** Confirms to the upstream sink every entry its checkpoint covers, once it has committed. */
class LinkConfirmSink<T> implements Sink<LinkEntry<T>> {
  readonly description = "job link confirmation";

  constructor(private readonly link: JobLink<T>) {}

  async open(): Promise<SinkWriter<LinkEntry<T>>> {
    const link = this.link;
    let last = 0;
    return {
      write(batch: Batch<LinkEntry<T>>) {
        for (const entry of batch.values) if (entry.seq > last) last = entry.seq;
      },
      async flush() {},
      // Sequence numbers are this process's: a restored one means nothing, so none is kept.
      async prepareCommit() {
        return { seq: last };
      },
      async commit(_id: number, progress: unknown) {
        link.confirm((progress as { seq: number }).seq);
      },
      async close() {},
    };
  }
}
