/**
 * `npm run test:crash`: the full crash test — 1,000,000 readings, at least 20
 * SIGKILLs — then the two negative controls, each of which must be caught.
 *
 * Options: --records N (default 1,000,000), --kills N (default 20), --keep (keep the work folder).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { type CrashReport, crashTest } from "./crash-harness.js";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    kills: { type: "string", default: "20" },
    keep: { type: "boolean", default: false },
  },
});
const records = Number(values.records);
const kills = Number(values.kills);
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-crash-"));
const show = (name: string, r: CrashReport) =>
  console.log(
    `${name}: ${r.kills} kills in ${r.seconds.toFixed(1)} s; expected ${r.expected} records, got ${r.actual}: ` +
      `${r.missing} missing, ${r.duplicated} duplicated, ${r.differing} differing, ${r.extra} extra` +
      (r.examples.length ? `\n  e.g. ${r.examples.join("\n  e.g. ")}` : ""),
  );
let failed = false;
try {
  const main = await crashTest({
    workDir: path.join(work, "exactly-once"),
    records,
    kills,
    minDelay: 50,
    maxDelay: 500,
    log: (line) => console.log(`  ${line}`),
  });
  show("exactly-once", main);
  if (main.missing + main.duplicated + main.differing + main.extra !== 0) failed = true;
  for (const mode of ["ack-before-commit", "non-idempotent-sink"] as const) {
    const control = await crashTest({
      workDir: path.join(work, mode),
      records: Math.min(records, 200_000),
      kills: 5,
      mode,
      minDelay: 100,
      maxDelay: 400,
    });
    show(`negative control ${mode}`, control);
    if (control.missing + control.duplicated + control.differing + control.extra === 0) {
      console.log(`  the checker did not catch the broken mode ${mode}`);
      failed = true;
    }
  }
} finally {
  if (values.keep) console.log(`work folder kept: ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
console.log(failed ? "crash test FAILED" : "crash test passed");
process.exit(failed ? 1 : 0);
