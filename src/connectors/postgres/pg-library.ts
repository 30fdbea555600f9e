/**
 * node-postgres, loaded by the first pool or client made (see `lazy-library.ts`). It is
 * a CommonJS package, so it loads at once, on the spot: constructors can use it.
 */
import { createRequire } from "node:module";
import type pg from "pg";

const require = createRequire(import.meta.url);
let loaded: typeof pg | undefined;

/** The `pg` module. */
export function pgLibrary(): typeof pg {
  loaded ??= require("pg") as typeof pg;
  return loaded;
}
