/**
 * The long delivery proof (`npm test` runs a short one): 1,000 notifications over
 * five channels, 20 SIGKILLs of the dispatcher process, receivers failing 30% of
 * requests, rate-limiting and timing out. Prints the report; exits 1 if a check fails.
 *
 * Usage: `node --import tsx test/delivery/run-delivery-proof.ts [kills] [perChannel]`
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { deliveryProof } from "./delivery-proof.js";

const kills = Number(process.argv[2] ?? 20);
const perChannel = Number(process.argv[3] ?? 200);
const work = mkdtempSync(path.join(os.tmpdir(), "millstream-delivery-proof-"));
try {
  const report = await deliveryProof({
    workDir: work,
    perChannel,
    checkpoints: 10,
    kills,
    minRunMs: 300,
    maxRunMs: 1500,
    seed: 23,
    log: (line) => console.log(line),
  });
  const failures: string[] = [];
  if (report.missing.length > 0)
    failures.push(
      `${report.missing.length} never delivered: ${report.missing.slice(0, 5).join(", ")}`,
    );
  if (report.unexpected.length > 0)
    failures.push(
      `${report.unexpected.length} unexpected keys: ${report.unexpected.slice(0, 5).join(", ")}`,
    );
  if (report.distinctKeys !== report.expected)
    failures.push(`distinct keys ${report.distinctKeys} != expected ${report.expected}`);
  if (report.outbox.dead > 0 || report.outbox.pending > 0)
    failures.push(`outbox not drained: ${JSON.stringify(report.outbox)}`);
  if (report.retryAfterViolations.length > 0)
    failures.push(`Retry-After violated: ${report.retryAfterViolations.slice(0, 5).join("; ")}`);
  if (report.finalExitCode !== 0) failures.push(`final SIGTERM exit code ${report.finalExitCode}`);
  console.log(
    `delivery proof: ${report.kills} kills in ${report.seconds.toFixed(1)} s; ${report.expected} idempotency keys expected, ` +
      `${report.distinctKeys} distinct received, ${report.missing.length} missing, ${report.unexpected.length} unexpected; ` +
      `${report.requests} requests (${report.answers.ok} ok, ${report.answers.error5xx} 5xx, ${report.answers.rateLimited} 429, ` +
      `${report.answers.hung} unanswered, ${report.answers.smtpRefused} SMTP 451); ${report.duplicateDeliveries} delivered twice; ` +
      `Retry-After checked ${report.retryAfterChecked} times, ${report.retryAfterViolations.length} early`,
  );
  if (failures.length > 0) {
    for (const f of failures) console.error(`FAILED: ${f}`);
    process.exitCode = 1;
  } else {
    console.log("delivery proof passed");
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
