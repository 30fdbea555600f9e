/**
 * DuckDB's allocator on Linux (its own copy of jemalloc) keeps the pages it frees, and
 * hands them back to the system only after a decay time and only while it is busy:
 * between two segments of an archive, with nothing for DuckDB to do, it held about
 * 70 MiB it no longer used (docs/benchmarks.md, "Archive memory"). A decay of zero
 * returns freed pages at once.
 *
 * jemalloc reads its settings once per process, from the environment, when DuckDB
 * first allocates; so this must run on the main thread (a worker thread's
 * `process.env` is its own copy) before DuckDB is first used in the process.
 */

/** The environment variable DuckDB's jemalloc reads its settings from. */
export const DUCKDB_ALLOCATOR_ENV = "DUCKDB_JE_MALLOC_CONF";

/** Return freed pages to the system at once rather than after DuckDB's decay time. */
export const PROMPT_RELEASE = "dirty_decay_ms:0,muzzy_decay_ms:0";

/**
 * Sets {@link DUCKDB_ALLOCATOR_ENV} to {@link PROMPT_RELEASE} unless the environment
 * already sets it (the operator's own setting wins). Called by `SegmentWriter.open`,
 * through which every store is opened, on the main thread.
 */
export function releaseFreedMemoryPromptly(): void {
  process.env[DUCKDB_ALLOCATOR_ENV] ??= PROMPT_RELEASE;
}
