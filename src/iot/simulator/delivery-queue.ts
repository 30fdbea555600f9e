/**
 * Lines whose delivery a fault postponed (out of order, late, duplicate copies),
 * kept in a binary min-heap by arrival time; ties keep insertion order, so runs are
 * reproducible.
 */

interface Delayed {
  readonly arrival: number;
  readonly seq: number;
  readonly partition: number;
  readonly line: string;
}

/** A min-heap of delayed lines by arrival time. */
export class DeliveryQueue {
  readonly #heap: Delayed[] = [];
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** Queues `line` of `partition` to arrive at `arrival` (ms). */
  push(arrival: number, partition: number, line: string): void {
    const heap = this.#heap;
    heap.push({ arrival, seq: this.#seq++, partition, line });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Removes every line arriving before `time`, in arrival order, passing each to `take`. */
  drainBefore(time: number, take: (partition: number, line: string) => void): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.arrival < time) {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
          if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      }
      take(top.partition, top.line);
    }
  }
}

function before(a: Delayed, b: Delayed): boolean {
  return a.arrival < b.arrival || (a.arrival === b.arrival && a.seq < b.seq);
}
