/**
 * Detection quality: simulated faults with ground truth, run through the plant
 * pipeline, scored per fault type and detector. See docs/detection.md.
 */
export { DETECTION_TARGETS, missedTargets } from "./detection-targets.js";
export {
  EVALUATION_DEFAULTS,
  type EvaluationOptions,
  type EvaluationResult,
  evaluateDetection,
} from "./evaluate-detection.js";
export { DEAD_LETTER_DETECTOR, EXPECTED_DETECTORS } from "./expected-detectors.js";
export { formatScore } from "./format-score.js";
export {
  type DeadLetterLike,
  type DetectionScore,
  type DetectorScore,
  type FaultTypeScore,
  type MatchingOptions,
  scoreDetections,
} from "./score-detections.js";
