/**
 * A piece of equipment's metadata (`equipment.json` / `.csv`) and its validation.
 */
import type { Criticality } from "../reading/reading.js";
import { asRecord, type RecordContext, requireOneOf, requireString } from "./record-fields.js";

/** The criticality levels, lowest first. */
export const CRITICALITIES: readonly Criticality[] = ["low", "medium", "high", "critical"];

/** One machine. */
export interface EquipmentMeta {
  readonly equipment_id: string;
  readonly facility_id: string;
  readonly production_line: string;
  /** Free text: `reactor`, `pump`, `compressor`, … (detector rules can match on it). */
  readonly equipment_class: string;
  readonly criticality: Criticality;
}

/** Validates one equipment record; throws a `MetadataError` naming the record and field. */
export function validateEquipment(value: unknown, ctx: RecordContext): EquipmentMeta {
  const o = asRecord(value, ctx);
  const equipmentId = requireString(o, "equipment_id", ctx);
  ctx.id = `equipment_id ${JSON.stringify(equipmentId)}`;
  return Object.freeze({
    equipment_id: equipmentId,
    facility_id: requireString(o, "facility_id", ctx),
    production_line: requireString(o, "production_line", ctx),
    equipment_class: requireString(o, "equipment_class", ctx),
    criticality: requireOneOf(o, "criticality", CRITICALITIES, ctx),
  });
}
