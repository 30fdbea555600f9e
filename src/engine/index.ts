/**
 * millstream's event-time stream-processing engine: the public API.
 */
export * from "./aggregate/index.js";
export { type Batch, MIXED_CHANNEL } from "./batch.js";
export type { JobSnapshot } from "./checkpoint/checkpoint-codec.js";
export {
  beginCheckpoint,
  type CheckpointData,
  type CheckpointHeader,
  type CheckpointStore,
  type CheckpointWriter,
  collectingWriter,
  type PositionRow,
  type SharedRow,
  type SinkProgressRow,
  type StateRow,
  type StoredCheckpoint,
} from "./checkpoint/checkpoint-store.js";
export { MemoryCheckpointStore } from "./checkpoint/memory-checkpoint-store.js";
export { type Clock, ManualClock, systemClock } from "./clock.js";
export {
  JobStateError,
  PipelineDefinitionError,
  SnapshotError,
  StepFailedError,
} from "./errors.js";
export { murmur3String as hashString } from "./hash/murmur3.js";
export * from "./link/index.js";
export type { StepProgress } from "./metrics/step-metrics.js";
export {
  DEAD_LETTERS,
  type DeadLetter,
  type DeadLetterReason,
  type LateReason,
  type LateRecord,
  OutputTag,
} from "./output-tag.js";
export { DEFAULT_PARTITIONS, type Key, partitionOf } from "./partition.js";
export type { CheckpointProgress, JobProgress, JobState, SourceProgress } from "./runtime/job.js";
export { Job } from "./runtime/job.js";
export { siblingModule, startModuleWorker } from "./runtime/module-worker.js";
export type { KeyDelta, StepDelta, StepSnapshot } from "./runtime/operator.js";
export type { Sink, SinkContext, SinkWriter } from "./sink.js";
export type {
  Source,
  SourceContext,
  SourcePoll,
  SourceReader,
  SourceStatus,
} from "./source.js";
export type {
  KeyedProcessFunction,
  MapState,
  ProcessContext,
  TimerContext,
  TimerService,
  ValueState,
} from "./state/keyed-process-function.js";
export { LookupTable } from "./state/lookup-table.js";
export {
  memoIndex,
  memoOf,
  RECORD_MEMO,
  type RecordMemo,
  remember,
} from "./state/record-memo.js";
export {
  type MapStateDescriptor,
  mapState,
  type StateTtl,
  type ValueStateDescriptor,
  valueState,
} from "./state/state-descriptor.js";
export { type CheckpointOptions, Dataflow, dataflow, type RunOptions } from "./stream/dataflow.js";
export { KeyedStream, LateAwareStream, SinkStep, Stream, source } from "./stream/stream.js";
export type { WatermarkOptions } from "./time/watermark-options.js";
export type { WindowEmission, WindowOptions, WindowResult } from "./window/window-result.js";
export {
  hours,
  minutes,
  type SessionWindows,
  type SlidingWindows,
  seconds,
  session,
  sliding,
  type TumblingWindows,
  tumbling,
  type WindowSpec,
} from "./window/window-spec.js";
