/**
 * What the live view of `millstream demo` shows, as plain data: the monitor fills it
 * once per refresh from the job's progress and the records the taps saw, and the
 * renderers turn it into text without reading anything else.
 */

/** One anomaly as the view lists it. */
export interface ViewAnomaly {
  /** Event time of the reading (or moment) that showed it, epoch ms. */
  readonly timeMs: number;
  readonly severity: string;
  readonly detector: string;
  readonly sensorId: string | null;
  readonly equipmentId: string | null;
  readonly facilityId: string | null;
  readonly message: string;
}

/** One facility's row: its latest facility-metrics window, or `null` fields before the first. */
export interface ViewFacility {
  readonly facilityId: string;
  readonly name: string;
  readonly windowStartMs: number | null;
  readonly windowEndMs: number | null;
  readonly readings: number | null;
  readonly activeSensors: number | null;
  readonly qualityAlerts: number | null;
  readonly anomalies: number | null;
}

/** Everything the live view shows at one moment. */
export interface DemoViewState {
  /** Wall-clock time of this state, epoch ms. */
  readonly nowMs: number;
  /** When the demo process started, epoch ms. */
  readonly startedAtMs: number;
  /**
   * `starting` until the job runs (`resuming` while a resumed simulator replays up to
   * its checkpoint), `stopping` after a signal, `stopped` at the end.
   */
  readonly phase: "starting" | "resuming" | "running" | "stopping" | "stopped";
  readonly plant: {
    readonly facilities: number;
    readonly sensors: number;
    readonly intervalMs: number;
  };
  /** The data folder as the user gave it. */
  readonly dataDir: string;
  /** The checkpoint this run resumed from, `null` on a fresh start (or before the job opened). */
  readonly resumedFrom: number | null;
  /** Readings read from the simulator since this process started. */
  readonly readingsIn: number;
  /** Readings per second over the last refresh interval. */
  readonly readingsPerSecond: number;
  /** Result records written (anomalies, windows, states, dead letters, late), archive excluded. */
  readonly recordsOut: number;
  readonly recordsOutPerSecond: number;
  /** Readings written to the Parquet archive. */
  readonly archived: number;
  /** Event-time watermark of the readings, epoch ms; `null` before the first. */
  readonly watermarkMs: number | null;
  /** Simulated time the simulator has reached, epoch ms; `null` before it started. */
  readonly simulatedMs: number | null;
  readonly checkpoints: {
    /** Id of the last completed checkpoint (or the one resumed from). */
    readonly lastId: number | null;
    /** Checkpoints completed by this process. */
    readonly completed: number;
    readonly ageMs: number | null;
    readonly intervalMs: number;
  };
  readonly deadLetters: number;
  readonly late: number;
  /** Injected faults whose start the simulation has passed (ground truth in labels.jsonl). */
  readonly faultsInjected: number;
  /** Alarms open now and alarms opened, as seen by this process (its alarm transitions). */
  readonly alarms: { readonly active: number; readonly opened: number };
  /** Anomalies seen by this process, in all and per severity. */
  readonly anomalyCount: number;
  readonly anomaliesBySeverity: Readonly<Record<string, number>>;
  /** The least severity the list of latest anomalies shows (`low`: all). */
  readonly minSeverity: string;
  /** The latest anomalies of `minSeverity` or worse, newest first. */
  readonly latestAnomalies: readonly ViewAnomaly[];
  readonly facilities: readonly ViewFacility[];
  /** The latest message for the user (a signal, a metadata reload), or `null`. */
  readonly notice: string | null;
}
