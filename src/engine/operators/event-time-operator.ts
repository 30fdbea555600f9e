/**
 * Assigns event times and generates watermarks per source partition. It is the
 * operator of every source step, and of `withEventTime` steps that re-stamp
 * records after parsing (those ignore upstream watermarks except end of input).
 */
import type { Batch } from "../batch.js";
import { Operator, type OperatorContext, type StepSnapshot } from "../runtime/operator.js";
import type { ResolvedWatermarkOptions } from "../time/watermark-options.js";

interface Channel {
  /** Watermark of this partition from data: max event time − out-of-orderness. */
  fromData: number;
  /** Watermark the source asserted explicitly. */
  asserted: number;
  lastActive: number;
  finished: boolean;
}

interface ChannelSnapshot {
  readonly channel: number;
  readonly fromData: number | null;
  readonly asserted: number | null;
}

const NEG = Number.NEGATIVE_INFINITY;

const finiteOrNull = (n: number): number | null => (Number.isFinite(n) ? n : null);

export class EventTimeOperator extends Operator {
  readonly #channels = new Map<number, Channel>();
  #lastArrival = NEG;

  constructor(
    step: string,
    kind: "source" | "withEventTime",
    private readonly options: ResolvedWatermarkOptions,
  ) {
    super(step, kind, kind === "source" ? 0 : 1);
  }

  override open(context: OperatorContext): void {
    super.open(context);
  }

  /** Declares the source partitions (channels) this step will see. */
  registerChannels(channels: readonly number[]): void {
    const now = this.context.clock.now();
    for (const c of channels) {
      if (!this.#channels.has(c)) {
        this.#channels.set(c, { fromData: NEG, asserted: NEG, lastActive: now, finished: false });
      }
    }
  }

  override receiveBatch(batch: Batch<unknown>, input: number): void {
    super.receiveBatch(batch, input);
    this.#update(this.context.clock.now());
  }

  /** Upstream watermarks are replaced by this step's own, except end of input. */
  override receiveWatermark(time: number, _input: number): void {
    if (time === Number.POSITIVE_INFINITY) this.finish();
  }

  /** A source asserted that `channel` will deliver nothing older than `time`. */
  assertWatermark(channel: number, time: number): void {
    const ch = this.#channel(channel, this.context.clock.now());
    if (time > ch.asserted) ch.asserted = time;
    this.#update(this.context.clock.now());
  }

  /** End of input on every channel: the watermark goes to +∞ and all windows close. */
  finish(): void {
    for (const ch of this.#channels.values()) ch.finished = true;
    if (this.watermark < Number.POSITIVE_INFINITY) this.advanceWatermark(Number.POSITIVE_INFINITY);
  }

  protected processBatch(batch: Batch<unknown>): void {
    const now = this.context.clock.now();
    const ch = this.#channel(batch.channel, now);
    const { values, times } = batch;
    const n = values.length;
    const timestamp = this.options.timestamp;
    let max = NEG;
    if (timestamp === undefined) {
      for (let i = 0; i < n; i++) if (times[i]! > max) max = times[i]!;
      this.pass(batch);
    } else {
      // Most batches have a valid event time in every record: they pass on with their
      // values shared and the times in one array made to size.
      const eventTimes = times.slice();
      let i = 0;
      let t = 0;
      let threw = false;
      let error: unknown;
      for (; i < n; i++) {
        try {
          t = timestamp(values[i]);
        } catch (e) {
          threw = true;
          error = e;
          break;
        }
        if (!Number.isFinite(t)) break;
        if (t > max) max = t;
        eventTimes[i] = t;
      }
      if (i === n) this.pass({ values, times: eventTimes, channel: batch.channel });
      else {
        for (let k = 0; k < i; k++) this.collect(values[k], eventTimes[k]!);
        this.#invalid(values[i], times[i]!, threw ? error : `event time is ${t}`);
        for (i++; i < n; i++) {
          const value = values[i];
          try {
            t = timestamp(value);
          } catch (e) {
            this.#invalid(value, times[i]!, e);
            continue;
          }
          if (!Number.isFinite(t)) {
            this.#invalid(value, times[i]!, `event time is ${t}`);
            continue;
          }
          if (t > max) max = t;
          this.collect(value, t);
        }
      }
    }
    if (n > 0) {
      ch.lastActive = now;
      this.#lastArrival = now;
    }
    const w = max - this.options.maxOutOfOrderness;
    if (w > ch.fromData) ch.fromData = w;
  }

  /** Sends a record without a valid event time to the dead letters, with why. */
  #invalid(value: unknown, time: number, why: unknown): void {
    this.deadLetter("invalid-timestamp", why, value, time);
  }

  protected override onProcessingTime(now: number): void {
    this.#update(now);
  }

  override snapshotState(): StepSnapshot {
    const channels: ChannelSnapshot[] = [];
    for (const [channel, ch] of this.#channels) {
      channels.push({
        channel,
        fromData: finiteOrNull(ch.fromData),
        asserted: finiteOrNull(ch.asserted),
      });
    }
    return { partitions: new Map(), shared: { channels } };
  }

  override restoreState(snapshot: StepSnapshot): void {
    const shared = snapshot.shared as { channels?: ChannelSnapshot[] } | undefined;
    const now = this.context.clock.now();
    for (const c of shared?.channels ?? []) {
      const ch = this.#channel(c.channel, now);
      ch.fromData = c.fromData ?? NEG;
      ch.asserted = c.asserted ?? NEG;
    }
  }

  override stateSize(): number {
    return this.#channels.size;
  }

  #channel(channel: number, now: number): Channel {
    let ch = this.#channels.get(channel);
    if (!ch) {
      ch = { fromData: NEG, asserted: NEG, lastActive: now, finished: false };
      this.#channels.set(channel, ch);
    }
    return ch;
  }

  #update(now: number): void {
    const { idleTimeout, advanceWhenQuiet } = this.options;
    let min = Number.POSITIVE_INFINITY;
    let anyActive = false;
    let allFinished = true;
    let maxSeen = NEG;
    for (const ch of this.#channels.values()) {
      if (ch.finished) continue;
      allFinished = false;
      const w = Math.max(ch.fromData, ch.asserted);
      if (w > maxSeen) maxSeen = w;
      if (now - ch.lastActive >= idleTimeout) continue;
      anyActive = true;
      if (w < min) min = w;
    }
    let next: number;
    if (allFinished) next = this.#channels.size > 0 ? Number.POSITIVE_INFINITY : NEG;
    else if (anyActive) next = min;
    else if (advanceWhenQuiet && maxSeen > NEG) next = maxSeen + (now - this.#lastArrival);
    else next = NEG;
    if (next > this.watermark) this.advanceWatermark(next);
  }
}
