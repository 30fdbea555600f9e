/**
 * The short delivery proof run by `npm test` (a longer one:
 * `node --import tsx test/delivery/run-delivery-proof.ts`): SIGKILLs of the
 * dispatcher process while receivers fail 30% of requests, time out and rate-limit.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { deliveryProof } from "./delivery-proof.js";

const work = mkdtempSync(path.join(os.tmpdir(), "millstream-delivery-proof-"));
after(() => rmSync(work, { recursive: true, force: true }));

describe("delivery proof", { timeout: 90_000 }, () => {
  it("delivers every committed notification at least once through 6 SIGKILLs, and nothing uncommitted", async () => {
    const report = await deliveryProof({
      workDir: work,
      perChannel: 40,
      checkpoints: 5,
      kills: 6,
      minRunMs: 300,
      maxRunMs: 900,
    });
    const summary = JSON.stringify({
      ...report,
      missing: report.missing.slice(0, 5),
      unexpected: report.unexpected.slice(0, 5),
    });
    assert.equal(report.kills, 6);
    assert.equal(report.expected, 240, summary); // 40 × (4 channels + 2 SMS recipients)
    assert.deepEqual(report.missing, [], summary);
    assert.deepEqual(report.unexpected, [], summary);
    assert.equal(report.distinctKeys, report.expected, summary);
    assert.deepEqual(report.outbox, { pending: 0, delivered: 200, dead: 0, staged: 0 }, summary);
    assert.ok(
      report.answers.error5xx > 0 && report.answers.rateLimited > 0 && report.answers.hung > 0,
      summary,
    );
    assert.ok(report.retryAfterChecked > 0, summary);
    assert.deepEqual(report.retryAfterViolations, [], summary);
    assert.equal(report.finalExitCode, 0, "the dispatcher stops cleanly on SIGTERM");
  });
});
