/**
 * Types for scripts/check-layers.mjs, so TypeScript tests can import the checker.
 */

/** The rule a violation breaks. */
export type LayerRule =
  | "layer-direction"
  | "engine-imports"
  | "js-extension"
  | "unknown-layer"
  | "dynamic-import";

/** One broken import rule, located by file (relative to the root, `/` separators) and line. */
export interface LayerViolation {
  readonly file: string;
  readonly line: number;
  readonly rule: LayerRule;
  readonly message: string;
}

/** A module specifier found in a source; `null` for a dynamic import of a computed value. */
export interface FoundImport {
  readonly specifier: string | null;
  readonly line: number;
}

/** The layer folders under `src/`, top to bottom. */
export declare const LAYERS: readonly string[];

/** Node built-ins that do I/O; `src/engine` may not import them (nor their subpaths). */
export declare const ENGINE_FORBIDDEN_BUILTINS: readonly string[];

/** Finds the module specifiers of a TypeScript source, in source order. */
export declare function findImports(sourceText: string, fileName?: string): FoundImport[];

/** Lists the TypeScript files under `rootDir/src`, relative to `rootDir`, sorted. */
export declare function listSourceFiles(rootDir: string): string[];

/** Checks the imports of one file given by its path relative to the root (`src/…`). */
export declare function checkSource(file: string, sourceText: string): LayerViolation[];

/** Checks every TypeScript file under `rootDir/src`; throws if that folder is missing. */
export declare function checkLayers(rootDir: string): LayerViolation[];

/** Formats a violation as `path:line: rule: message`. */
export declare function formatViolation(violation: LayerViolation): string;
