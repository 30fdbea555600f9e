/**
 * Worker threads on modules of this package, whether it runs compiled (`.js`) or from
 * its TypeScript sources through tsx (tests, benches). A worker does not inherit its
 * parent's module loader, so for a `.ts` module the worker registers tsx before it
 * imports the module.
 */
import { Worker, type WorkerOptions } from "node:worker_threads";

/**
 * Imports the loader when there is one, then the entry. Only dynamic imports: the
 * code runs as a script.
 */
const BOOT = `
import("node:worker_threads").then(({ workerData }) =>
  (workerData.tsx ? import(workerData.tsx).then((tsx) => tsx.register()) : Promise.resolve())
    .then(() => import(workerData.entry)));
`;

/**
 * The module `name` (without extension) beside the module whose `import.meta.url` is
 * `from`, with the same extension: `.ts` under tsx, `.js` compiled.
 */
export function siblingModule(from: string, name: string): URL {
  return new URL(`${name}${from.endsWith(".ts") ? ".ts" : ".js"}`, from);
}

/**
 * Starts a worker thread on the module `entry`. `options.workerData` must be an object
 * (or absent): the worker sees it with two more fields, `entry` and, for a `.ts`
 * module, `tsx` (the loader it registered). Throws as `new Worker` does.
 */
export function startModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const data = (options.workerData ?? {}) as Record<string, unknown>;
  const tsx = entry.pathname.endsWith(".ts") ? import.meta.resolve("tsx/esm/api") : undefined;
  return new Worker(BOOT, {
    ...options,
    eval: true,
    workerData: { ...data, entry: entry.href, ...(tsx ? { tsx } : {}) },
  });
}
