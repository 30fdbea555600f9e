/** node-postgres, loaded by the first pool or client made (see `lazy-library.ts`). */
import type pg from "pg";
import { lazyRequire } from "../lazy-library.js";

export const pgLibrary = lazyRequire<typeof pg>("pg");
