/**
 * Plant metadata: facilities, sensors and equipment from files or PostgreSQL, validated,
 * held in engine lookup tables and reloaded while running.
 */
export { CRITICALITIES, type EquipmentMeta, validateEquipment } from "./equipment-meta.js";
export { MetadataError, type MetadataErrorDetails } from "./errors.js";
export { type FacilityMeta, isValidTimeZone, validateFacility } from "./facility-meta.js";
export { findMetadataFile, loadMetadataFolder, METADATA_KINDS } from "./load-metadata-folder.js";
export {
  loadMetadataFromPostgres,
  type PgQueryable,
  type PostgresMetadataOptions,
} from "./load-metadata-from-postgres.js";
export { MetadataCatalog } from "./metadata-catalog.js";
export { buildMetadataSet, type MetadataSet, type SourceRecords } from "./metadata-set.js";
export { type SensorMeta, validateSensor } from "./sensor-meta.js";
export {
  DEFAULT_SHIFTS,
  minutesOfDay,
  type ShiftDefinition,
  UNSCHEDULED_SHIFT,
  validateShifts,
} from "./shift-definition.js";
export {
  type MetadataWatcher,
  type WatchMetadataOptions,
  watchMetadataFolder,
} from "./watch-metadata-folder.js";
