/**
 * The metadata package's named errors.
 */

/** Where a metadata problem is: the file (or table), the record and the field. */
export interface MetadataErrorDetails {
  /** `sensors.json`, `/etc/plant/sensors.csv`, `postgres table plant.sensors`, … */
  readonly file: string;
  /** `record 3 (sensor_id "S-7")`, `line 4 (…)`; absent for a whole-file problem. */
  readonly record?: string;
  /** The field, dotted for nested ones (`alert_thresholds.warning_min`). */
  readonly field?: string;
  /** What was expected and what came instead. */
  readonly problem: string;
}

/**
 * A metadata file, record or field is invalid, or a file is missing or unreadable. The
 * message names the file, the record (index and id), the field and what was expected:
 * `sensors.json: record 2 (sensor_id "S-3"), field alert_thresholds.warning_min:
 * expected a number, got the string "high"`.
 */
export class MetadataError extends Error {
  override readonly name = "MetadataError";
  readonly file: string;
  readonly record: string | undefined;
  readonly field: string | undefined;
  readonly problem: string;

  constructor(details: MetadataErrorDetails, options?: { cause?: unknown }) {
    const within = [details.record, details.field && `field ${details.field}`]
      .filter((part) => part !== undefined && part !== "")
      .join(", ");
    super(`${details.file}: ${within === "" ? "" : `${within}: `}${details.problem}`, options);
    this.file = details.file;
    this.record = details.record;
    this.field = details.field;
    this.problem = details.problem;
  }
}
