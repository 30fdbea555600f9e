/**
 * Client libraries loaded when first needed. A process that never talks to Kafka (say)
 * never loads its client: the connectors all sit behind one import, and a broker
 * client costs megabytes of heap and tens of megabytes of resident memory.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A function returning CommonJS package `name`, loading it on the first call: at once,
 * so constructors can use it. A failed load throws from every call.
 */
export function lazyRequire<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= require(name) as T;
    return loaded;
  };
}

/**
 * A function returning `load()`'s module (an ES module package), loading it on the
 * first call only. A failed load fails every call with the same error.
 */
export function lazyImport<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}
