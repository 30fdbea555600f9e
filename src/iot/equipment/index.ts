/** Live equipment state: the keyed process function and its record. */
export {
  EQUIPMENT_STATE,
  EQUIPMENT_STATE_DEFAULTS,
  type EquipmentStateConfig,
  equipmentState,
} from "./equipment-state.js";
export type {
  EquipmentStateRecord,
  EquipmentStatus,
  WorstAnomaly,
} from "./equipment-state-record.js";
