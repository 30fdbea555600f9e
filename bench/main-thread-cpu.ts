/**
 * CPU time of the Node main thread alone, for benchmarks that run other threads beside
 * it (a sink's worker, DuckDB's, V8's collector threads).
 */
import { readFileSync } from "node:fs";

/**
 * The main thread's CPU time so far, in ms (Linux `/proc/self/task/<pid>/stat`, 10 ms
 * ticks); NaN where that file cannot be read.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 per second).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}
