/**
 * The plant simulator: a seeded plant model, physics-like readings, injected faults
 * with ground-truth labels, the matching metadata folder, and ways to consume it (an
 * async generator, output targets, an engine source). See docs/simulator.md.
 */
export { EQUIPMENT_CLASSES, type EquipmentClass } from "./equipment-classes.js";
export type { FaultOptions, PlannedFault } from "./fault-planner.js";
export {
  DEFAULT_FAULT_MIX,
  FAULT_TYPES,
  type FaultLabel,
  type FaultMix,
  type FaultType,
  LABEL_TYPES,
  type LabelType,
  parseFaultMix,
} from "./fault-types.js";
export {
  jsonlTarget,
  MemoryTarget,
  OutputClosedError,
  type OutputTarget,
} from "./output-target.js";
export {
  type PlantMetadataRecords,
  plantMetadata,
  plantMetadataSet,
  writePlantMetadata,
} from "./plant-metadata.js";
export {
  createPlant,
  type Plant,
  type PlantOptions,
  type SimEquipment,
  type SimFacility,
  type SimSensor,
  type TimestampStyle,
} from "./plant-model.js";
export { Prng } from "./prng.js";
export {
  runSimulation,
  type SimulateDriverOptions,
  type SimulationSummary,
  simulate,
} from "./simulate.js";
export {
  DEFAULT_START_MS,
  type SimulateOptions,
  SimulatorRun,
  type SimulatorSlice,
  type SimulatorStats,
  type SlicePartition,
} from "./simulator-run.js";
export { type SimulatorSourceOptions, simulatorSource } from "./simulator-source.js";
