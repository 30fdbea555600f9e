/**
 * The version of the installed millstream package.
 */
import { readFileSync } from "node:fs";

/**
 * Reads `version` from millstream's package.json. The file is found relative to this
 * module, two folders up, which holds both for `src/cli/` (run through tsx) and for the
 * built `dist/cli/`. Throws if package.json is missing or has no version.
 */
export function readVersion(): string {
  const url = new URL("../../package.json", import.meta.url);
  const pkg: unknown = JSON.parse(readFileSync(url, "utf8"));
  if (
    typeof pkg !== "object" ||
    pkg === null ||
    !("version" in pkg) ||
    typeof pkg.version !== "string"
  ) {
    throw new Error(`no "version" in ${url.pathname}`);
  }
  return pkg.version;
}
