/**
 * Tests of FileSource: the replayable-source contract in JSONL (messages), CSV and
 * follow mode; CSV rows; glob patterns; follow mode with appends, partial lines,
 * truncation and rotation; origins and positions.
 */
import assert from "node:assert/strict";
import { appendFile, mkdir, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { SourcePoll, SourceReader } from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { describeReplayableSource } from "../testing/source-contract.case.js";
import { FileSourceError } from "./errors.js";
import { type FilePosition, fileSource } from "./file-source.js";

/** A contract fixture writing each partition as a file, in the given format. */
function contractFixture(format: "jsonl" | "csv", follow: boolean) {
  return async () => {
    const dir = await mkdtemp(path.join(tmpdir(), `millstream-file-source-${format}-`));
    // The same input gives the same files: positions name the file they were read from.
    const runs = new Map<string, number>();
    return {
      ends: !follow,
      async create(input: readonly (readonly string[])[], batchSize: number) {
        const key = JSON.stringify(input);
        const known = runs.get(key);
        const run = known ?? runs.size;
        runs.set(key, run);
        for (const [p, lines] of input.entries()) {
          const file = path.join(dir, `run-${run}`, `in-${p}.${format}`);
          await mkdir(path.dirname(file), { recursive: true });
          let text: string;
          if (format === "csv") {
            const rows = lines.map((l) => {
              const r = JSON.parse(l) as { p: number; i: number; text: string };
              return `${r.p},${r.i},"${r.text}"`;
            });
            text = `p,i,text\r\n${rows.join("\n")}${rows.length > 0 ? "\n" : ""}`;
          } else {
            text = lines.map((l, i) => (i % 3 === 1 ? `${l}\r\n\n` : `${l}\n`)).join("");
          }
          if (known === undefined) await writeFile(file, text);
        }
        return fileSource({
          paths: [path.join(dir, `run-${run}`, `in-*.${format}`)],
          format,
          follow,
          pollIntervalMs: 20,
          batchSize,
          emitMessages: true,
        });
      },
      text: (value: InboundMessage) => value.payload,
      async missing() {
        const file = path.join(dir, `no-such-file.${format}`);
        return { source: fileSource({ paths: [file], format, emitMessages: true }), mention: file };
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  };
}

describeReplayableSource("FileSource jsonl messages", contractFixture("jsonl", false));
describeReplayableSource("FileSource csv", contractFixture("csv", false));
describeReplayableSource("FileSource jsonl follow", contractFixture("jsonl", true));

let dir: string;
let made = 0;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "millstream-file-source-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string): Promise<string> {
  const full = path.join(dir, `${made++}-${name}`);
  await writeFile(full, content);
  return full;
}

type Batch<T> = Extract<SourcePoll<T>, { kind: "batch" }>;

async function readToEnd<T>(reader: SourceReader<T>): Promise<Batch<T>[]> {
  const batches: Batch<T>[] = [];
  for (;;) {
    const poll = await reader.poll();
    if (poll.kind === "end") return batches;
    assert.equal(poll.kind, "batch");
    batches.push(poll as Batch<T>);
  }
}

/** Polls a follow-mode reader until `count` values arrived (or 300 polls). */
async function readFollowing<T>(reader: SourceReader<T>, count: number): Promise<T[]> {
  const values: T[] = [];
  for (let i = 0; i < 300 && values.length < count; i++) {
    const poll = await reader.poll();
    assert.notEqual(poll.kind, "end", "a following source ended");
    if (poll.kind === "batch") values.push(...poll.values);
  }
  return values;
}

describe("FileSource CSV", () => {
  it("turns rows into JSON objects named by the header, with numbers typed", async () => {
    const csv = await file(
      "r.csv",
      'sensor_id,value,unit,note\nT-1,21.5,C,"ok, fine"\n"007", -3e2 ,bar,\nP-2,7,"say ""hi""",x\n',
    );
    const reader = await fileSource({ paths: [csv], format: "csv" }).open({ step: "in" });
    try {
      const values = (await readToEnd(reader)).flatMap((b) => b.values);
      assert.deepEqual(
        values.map((v) => JSON.parse(v)),
        [
          { sensor_id: "T-1", value: 21.5, unit: "C", note: "ok, fine" },
          { sensor_id: "007", value: -300, unit: "bar" },
          { sensor_id: "P-2", value: 7, unit: 'say "hi"', note: "x" },
        ],
      );
    } finally {
      await reader.close();
    }
  });

  it("passes a row with the wrong number of fields on as its raw line", async () => {
    const csv = await file("bad.csv", 'a,b\n1,2\n1,2,3\n"open,4\n5,6\n');
    const reader = await fileSource({ paths: [csv], format: "csv" }).open({ step: "in" });
    try {
      const values = (await readToEnd(reader)).flatMap((b) => b.values);
      assert.deepEqual(values, ['{"a":1,"b":2}', "1,2,3", '"open,4', '{"a":5,"b":6}']);
    } finally {
      await reader.close();
    }
  });

  it("uses another delimiter", async () => {
    const csv = await file("semi.csv", "a;b\n1,5;x\n");
    const reader = await fileSource({ paths: [csv], format: "csv", delimiter: ";" }).open({
      step: "in",
    });
    try {
      assert.deepEqual(
        (await readToEnd(reader)).flatMap((b) => b.values),
        ['{"a":"1,5","b":"x"}'],
      );
    } finally {
      await reader.close();
    }
  });

  it("reads the header again when resuming past it", async () => {
    const csv = await file("resume.csv", "a,b\n1,2\n3,4\n");
    const source = fileSource({ paths: [csv], format: "csv", batchSize: 1 });
    const first = await source.open({ step: "in" });
    const poll = await first.poll();
    const at = first.positions!();
    await first.close();
    assert.deepEqual(poll, { kind: "batch", partition: 0, values: ['{"a":1,"b":2}'] });
    assert.deepEqual(at.get(0), { file: csv, offset: 8 });
    const again = await source.open({ step: "in", resumeFrom: at });
    try {
      assert.deepEqual(
        (await readToEnd(again)).flatMap((b) => b.values),
        ['{"a":3,"b":4}'],
      );
    } finally {
      await again.close();
    }
  });

  it("fails naming the file when the header is unusable", async () => {
    const csv = await file("header.csv", "a,,c\n1,2,3\n");
    const reader = await fileSource({ paths: [csv], format: "csv" }).open({ step: "in" });
    try {
      await assert.rejects(reader.poll(), (error: unknown) => {
        assert.ok(error instanceof FileSourceError);
        assert.equal(error.message, `${csv}: CSV header column 2 has no name`);
        return true;
      });
    } finally {
      await reader.close();
    }
  });
});

describe("FileSource messages and positions", () => {
  it("emits InboundMessages with <file>@<byte offset> of each line", async () => {
    const jsonl = await file("m.jsonl", '{"a":1}\n\n{"a":2}\r\n{"a":3}');
    const reader = await fileSource({ paths: [jsonl], emitMessages: true, now: () => 42 }).open({
      step: "in",
    });
    try {
      const values = (await readToEnd(reader)).flatMap((b) => b.values);
      assert.deepEqual(values, [
        { payload: '{"a":1}', origin: `${jsonl}@0`, receivedAt: 42 },
        { payload: '{"a":2}', origin: `${jsonl}@9`, receivedAt: 42 },
        { payload: '{"a":3}', origin: `${jsonl}@18`, receivedAt: 42 },
      ]);
      assert.deepEqual(reader.positions!().get(0), { file: jsonl, offset: 25 });
    } finally {
      await reader.close();
    }
  });

  it("refuses a checkpoint whose files differ from what the pattern now matches", async () => {
    const sub = path.join(dir, "changed");
    await mkdir(sub);
    await writeFile(path.join(sub, "b.jsonl"), "{}\n");
    const source = fileSource({ paths: [path.join(sub, "*.jsonl")] });
    const stale = new Map<number, unknown>([
      [0, { file: path.join(sub, "a.jsonl"), offset: 3 } satisfies FilePosition],
    ]);
    await assert.rejects(source.open({ step: "in", resumeFrom: stale }), /set of files changed/);
    await assert.rejects(
      source.open({ step: "in", resumeFrom: new Map([[1, { file: "x", offset: 0 }]]) }),
      /position for partition 1, but the source now reads 1 file/,
    );
    await assert.rejects(
      source.open({ step: "in", resumeFrom: new Map([[0, "3"]]) }),
      /invalid resume position "3"/,
    );
    // A JsonlFileSource checkpoint (a bare offset) resumes in the file at that place.
    const legacy = await source.open({ step: "in", resumeFrom: new Map([[0, 3]]) });
    try {
      assert.deepEqual(await legacy.poll(), { kind: "end" });
    } finally {
      await legacy.close();
    }
  });

  it("fails naming a pattern that matches nothing", async () => {
    const pattern = path.join(dir, "nothing-here", "*.jsonl");
    await assert.rejects(
      fileSource({ paths: [pattern] }).open({ step: "in" }),
      (error: unknown) => {
        assert.ok(error instanceof FileSourceError);
        assert.equal(error.message, `${pattern}: matches no file`);
        return true;
      },
    );
  });
});

describe("FileSource follow mode", () => {
  it("returns appended lines, holding a partial line back until its newline", async () => {
    const jsonl = await file("grow.jsonl", '{"n":1}\n');
    const reader = await fileSource({ paths: [jsonl], follow: true, pollIntervalMs: 10 }).open({
      step: "in",
    });
    try {
      assert.deepEqual(await readFollowing(reader, 1), ['{"n":1}']);
      assert.equal((await reader.poll()).kind, "idle");
      await appendFile(jsonl, '{"n":2}\n{"n":');
      assert.deepEqual(await readFollowing(reader, 1), ['{"n":2}']);
      assert.equal((await reader.poll()).kind, "idle", "the partial line is held back");
      assert.deepEqual(reader.positions!().get(0), {
        file: jsonl,
        offset: 16,
        inode: (reader.positions!().get(0) as FilePosition).inode,
      });
      await appendFile(jsonl, "3}\n");
      assert.deepEqual(await readFollowing(reader, 1), ['{"n":3}']);
    } finally {
      await reader.close();
    }
  });

  it("reads a truncated file again from its start", async () => {
    const jsonl = await file("trunc.jsonl", '{"n":1}\n{"n":2}\n');
    const warnings: string[] = [];
    const reader = await fileSource({
      paths: [jsonl],
      follow: true,
      pollIntervalMs: 10,
      onWarning: (m) => warnings.push(m),
    }).open({ step: "in" });
    try {
      assert.deepEqual(await readFollowing(reader, 2), ['{"n":1}', '{"n":2}']);
      await truncate(jsonl, 0);
      await appendFile(jsonl, '{"n":3}\n');
      assert.deepEqual(await readFollowing(reader, 1), ['{"n":3}']);
      assert.deepEqual(warnings, [`${jsonl}: truncated; reading it again from its start`]);
    } finally {
      await reader.close();
    }
  });

  it("finishes a rotated file (last partial line included), then reads the new one", async () => {
    const jsonl = await file("rot.jsonl", '{"n":1}\n');
    const warnings: string[] = [];
    const reader = await fileSource({
      paths: [jsonl],
      follow: true,
      pollIntervalMs: 10,
      emitMessages: true,
      onWarning: (m) => warnings.push(m),
    }).open({ step: "in" });
    try {
      assert.deepEqual(
        (await readFollowing(reader, 1)).map((m) => m.payload),
        ['{"n":1}'],
      );
      await appendFile(jsonl, '{"n":2}\n{"n":3}');
      await rename(jsonl, `${jsonl}.1`);
      const during = await readFollowing(reader, 2);
      assert.deepEqual(
        during.map((m) => [m.payload, m.origin]),
        [
          ['{"n":2}', `${jsonl}@8`],
          ['{"n":3}', `${jsonl}@16`],
        ],
      );
      assert.equal(reader.status!().state, "reconnecting");
      assert.match(reader.status!().detail ?? "", /no such file; waiting for it to appear/);
      const old = reader.positions!().get(0) as FilePosition;
      assert.equal(old.offset, 23);
      await writeFile(jsonl, '{"n":4}\n');
      assert.deepEqual(
        (await readFollowing(reader, 1)).map((m) => [m.payload, m.origin]),
        [['{"n":4}', `${jsonl}@0`]],
      );
      assert.equal(reader.status!().state, "connected");
      const now = reader.positions!().get(0) as FilePosition;
      assert.notEqual(now.inode, old.inode);
      assert.equal(now.offset, 8);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /removed or renamed/);
      // A checkpoint from before the rotation resumes on the new file from its start.
      await reader.close();
      const resumed = await fileSource({
        paths: [jsonl],
        follow: true,
        pollIntervalMs: 10,
        onWarning: (m) => warnings.push(m),
      }).open({ step: "in", resumeFrom: new Map([[0, old]]) });
      try {
        assert.deepEqual(await readFollowing(resumed, 1), ['{"n":4}']);
        assert.match(warnings[1]!, /replaced since the checkpoint/);
      } finally {
        await resumed.close();
      }
    } finally {
      await reader.close();
    }
  });

  it("reads a CSV file's new header after rotation", async () => {
    const csv = await file("rot.csv", "a,b\n1,2\n");
    const reader = await fileSource({
      paths: [csv],
      format: "csv",
      follow: true,
      pollIntervalMs: 10,
      onWarning: () => {},
    }).open({ step: "in" });
    try {
      assert.deepEqual(await readFollowing(reader, 1), ['{"a":1,"b":2}']);
      const next = `${csv}.new`;
      await writeFile(next, "b,a\n3,4\n");
      await rename(next, csv);
      assert.deepEqual(await readFollowing(reader, 1), ['{"b":3,"a":4}']);
    } finally {
      await reader.close();
    }
  });
});
