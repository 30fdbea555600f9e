/** What the `...Steps` variant of each dashboard builder returns. */
import type { LateRecord, Stream } from "../../engine/index.js";

/**
 * A dashboard's records and its window step's late output: the input records that
 * arrived after every window they belonged to had closed (counted by the engine,
 * never dropped in silence; route them to the plant's late output).
 */
export interface DashboardSteps<R, In> {
  readonly records: Stream<R>;
  readonly late: Stream<LateRecord<In>>;
}
