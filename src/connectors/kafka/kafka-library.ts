/** `@platformatic/kafka`, loaded by the first consumer or producer (see `lazy-library.ts`). */
import { lazyLibrary } from "../lazy-library.js";

export const kafkaLibrary = lazyLibrary(() => import("@platformatic/kafka"));
