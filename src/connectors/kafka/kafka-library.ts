/** `@platformatic/kafka` (an ES module), loaded by the first consumer or producer. */
import { lazyImport } from "../lazy-library.js";

export const kafkaLibrary = lazyImport(() => import("@platformatic/kafka"));
