import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { dataflow, source } from "../../engine/index.js";
import { ManualClock, record, TestingSource } from "../../engine/testing/index.js";
import { JsonlOutputFile } from "./jsonl-output-file.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "millstream-output-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("JsonlOutputFile", () => {
  it("writes one JSON line per record and publishes the file on close", async () => {
    const file = path.join(dir, "out", "values.jsonl");
    const sink = new JsonlOutputFile<{ n: number }>({ path: file, bufferBytes: 16 });
    const items = Array.from({ length: 50 }, (_, n) => record({ n }, n));
    await dataflow("t", [
      source("in", new TestingSource(items, { batchSize: 7 })).to("out", sink),
    ]).run({
      clock: new ManualClock(),
      tickInterval: 0,
    });
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    assert.equal(lines.length, 50);
    assert.deepEqual(JSON.parse(lines[49]!), { n: 49 });
    assert.equal(sink.records, 50);
    assert.equal(existsSync(`${file}.tmp`), false);
  });
});
