/**
 * The PostgreSQL migrations of the plant outputs, in order. Append new ones; never
 * edit or remove a released one (databases record each migration's checksum).
 */
import type { Migration } from "../../../connectors/postgres/index.js";
import { plantOutputsMigration } from "./0001-plant-outputs.js";

export const PLANT_MIGRATIONS: readonly Migration[] = [plantOutputsMigration];
