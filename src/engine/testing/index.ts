/**
 * The testing kit: run a whole dataflow in memory with a manual clock and compare
 * the output list (`millstream/testing`).
 */
export { ManualClock } from "../clock.js";
export { type Collected, CollectingSink } from "./collecting-sink.js";
export { seededRandom } from "./seeded-random.js";
export {
  advanceClock,
  idle,
  record,
  type TestingItem,
  TestingSource,
  type TestingSourceOptions,
  watermark,
} from "./testing-source.js";
