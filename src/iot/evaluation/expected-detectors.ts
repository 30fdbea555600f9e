/**
 * Which detectors are meant to catch which fault: the rule that decides whether a
 * labelled fault counts as detected.
 */
import type { LabelType } from "../simulator/fault-types.js";

/**
 * The detectors whose anomaly on the faulty sensor (or machine) detects each label
 * type. Types not listed (`clock-skew`, `out-of-order`, `late`, `duplicate`) are
 * delivery faults no detector looks for: they are reported but not scored.
 * `malformed` is scored against the dead-letter output (detector `dead-letter`).
 */
export const EXPECTED_DETECTORS: Readonly<Partial<Record<LabelType, readonly string[]>>> =
  Object.freeze({
    spike: ["z-score", "threshold"],
    drift: ["sensor-drift", "trend", "z-score", "threshold"],
    stuck: ["stuck-sensor"],
    offline: ["offline"],
    noisy: ["z-score", "threshold"],
    quality: ["quality-degradation"],
    "equipment-shutdown": ["equipment-shutdown"],
    "equipment-startup": ["equipment-startup"],
    malformed: ["dead-letter"],
  });

/** The pseudo-detector name of a dead letter when matching `malformed` labels. */
export const DEAD_LETTER_DETECTOR = "dead-letter";
