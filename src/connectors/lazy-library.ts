/**
 * Client libraries loaded when first needed. A process that never talks to Kafka (say)
 * never loads its client: the connectors all sit behind one import, and a broker
 * client costs megabytes of heap and tens of megabytes of resident memory.
 */

/**
 * A function returning `load()`'s module, loading it on the first call only. A failed
 * load fails every call with the same error.
 */
export function lazyLibrary<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}
