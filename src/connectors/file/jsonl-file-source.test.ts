/**
 * Tests of JsonlFileSource: the replayable-source contract, then line splitting
 * (UTF-8 across reads, CRLF, blank lines, no final newline, long lines), partitions,
 * positions and the errors that name the file.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { SourcePoll, SourceReader } from "../../engine/index.js";
import { describeReplayableSource } from "../testing/source-contract.case.js";
import { FileSourceError } from "./errors.js";
import { JsonlFileSource, type JsonlFileSourceOptions } from "./jsonl-file-source.js";

describeReplayableSource("JsonlFileSource", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "millstream-file-source-contract-"));
  let made = 0;
  return {
    ends: true,
    async create(input, batchSize) {
      const paths: string[] = [];
      for (const [p, lines] of input.entries()) {
        const file = path.join(dir, `in-${made++}-${p}.jsonl`);
        // Mixed endings and blank lines: the contract holds whatever the file looks like.
        const text = lines.map((l, i) => (i % 3 === 1 ? `${l}\r\n\n` : `${l}\n`)).join("");
        await writeFile(file, text);
        paths.push(file);
      }
      return new JsonlFileSource({ paths, batchSize });
    },
    text: (value) => value,
    async missing() {
      const file = path.join(dir, "no-such-file.jsonl");
      return { source: new JsonlFileSource({ paths: [file] }), mention: file };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

let dir: string;
let files = 0;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "millstream-file-source-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(content: string | Buffer): Promise<string> {
  const name = path.join(dir, `f${files++}.jsonl`);
  await writeFile(name, content);
  return name;
}

type Batch = Extract<SourcePoll<string>, { kind: "batch" }>;

async function pollAll(reader: SourceReader<string>): Promise<Batch[]> {
  const batches: Batch[] = [];
  for (;;) {
    const poll = await reader.poll();
    if (poll.kind === "end") return batches;
    assert.equal(poll.kind, "batch");
    batches.push(poll as Batch);
  }
}

async function readLines(
  content: string | Buffer,
  options: Omit<JsonlFileSourceOptions, "paths"> = {},
): Promise<{ lines: string[]; position: unknown }> {
  const reader = await new JsonlFileSource({ paths: [await file(content)], ...options }).open({
    step: "in",
  });
  try {
    const lines = (await pollAll(reader)).flatMap((b) => b.values);
    return { lines, position: reader.positions!().get(0) };
  } finally {
    await reader.close();
  }
}

describe("JsonlFileSource lines", () => {
  it("decodes multi-byte UTF-8 split across reads, at every chunk size", async () => {
    const lines = ['{"t":"Grüße"}', '{"t":"温度センサー"}', '{"t":"🌡️🔥"}', '{"t":"ok"}'];
    const content = `${lines.join("\n")}\n`;
    for (let chunkSize = 1; chunkSize <= 24; chunkSize++) {
      const read = await readLines(content, { chunkSize });
      assert.deepEqual(read.lines, lines, `chunkSize ${chunkSize}`);
      assert.equal(read.position, Buffer.byteLength(content));
    }
  });

  it("decodes a character split at the default 64 KiB read boundary", async () => {
    const first = `{"pad":"${"x".repeat(65_536 - 10)}`;
    const lines = [`${first}€€€"}`, '{"n":2}'];
    // "€" is 3 bytes; the first read ends inside one of them.
    assert.ok(Buffer.byteLength(`${first}€`) > 65_536 && first.length < 65_536);
    const read = await readLines(`${lines.join("\n")}\n`);
    assert.deepEqual(read.lines, lines);
  });

  it("strips CRLF line endings", async () => {
    const read = await readLines('{"a":1}\r\n{"a":2}\r\n');
    assert.deepEqual(read.lines, ['{"a":1}', '{"a":2}']);
  });

  it("returns a last line without a final newline, with its end as position", async () => {
    const content = '{"a":1}\n{"a":2}';
    const read = await readLines(content);
    assert.deepEqual(read.lines, ['{"a":1}', '{"a":2}']);
    assert.equal(read.position, Buffer.byteLength(content));
    const crlf = await readLines('{"a":1}\r\n{"a":2}\r');
    assert.deepEqual(crlf.lines, ['{"a":1}', '{"a":2}']);
  });

  it("skips blank and whitespace-only lines but keeps everything else verbatim", async () => {
    const read = await readLines('\n\n  \n{"a":1}\n\t\r\n  {"a":2}  \nnot json\n\n');
    assert.deepEqual(read.lines, ['{"a":1}', '  {"a":2}  ', "not json"]);
  });

  it("ends at once on an empty file, at position 0", async () => {
    const reader = await new JsonlFileSource({ paths: [await file("")] }).open({ step: "in" });
    try {
      assert.equal(reader.partitions, 1);
      assert.deepEqual(await reader.poll(), { kind: "end" });
      assert.deepEqual(reader.positions!(), new Map([[0, 0]]));
    } finally {
      await reader.close();
    }
  });

  it("removes a UTF-8 byte order mark at the start of a file", async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const read = await readLines(Buffer.concat([bom, Buffer.from('{"a":1}\n{"a":2}\n')]));
    assert.deepEqual(read.lines, ['{"a":1}', '{"a":2}']);
  });

  it("reads a line much longer than the read size whole", async () => {
    const long = `{"v":"${"é".repeat(10_000)}"}`;
    const read = await readLines(`{"a":1}\n${long}\n{"a":2}`, { chunkSize: 100 });
    assert.deepEqual(read.lines, ['{"a":1}', long, '{"a":2}']);
  });

  it("reads a 100,000-line file completely, with the byte offset after each batch", async () => {
    const lines = Array.from(
      { length: 100_000 },
      (_, i) => `{"sensor":"s-${i % 97}","seq":${i},"value":${(i * 0.37).toFixed(2)},"unit":"°C"}`,
    );
    const content = `${lines.join("\n")}\n`;
    const ends: number[] = [];
    let offset = 0;
    for (const line of lines) {
      offset += Buffer.byteLength(line) + 1;
      ends.push(offset);
    }
    const reader = await new JsonlFileSource({
      paths: [await file(content)],
      batchSize: 777,
    }).open({ step: "in" });
    try {
      const read: string[] = [];
      for (;;) {
        const poll = await reader.poll();
        if (poll.kind === "end") break;
        assert.equal(poll.kind, "batch");
        read.push(...(poll as Batch).values);
        assert.ok((poll as Batch).values.length <= 777);
        assert.equal(reader.positions!().get(0), ends[read.length - 1], `after ${read.length}`);
      }
      assert.equal(read.length, 100_000);
      assert.deepEqual(read, lines);
      assert.equal(reader.positions!().get(0), Buffer.byteLength(content));
    } finally {
      await reader.close();
    }
  });
});

describe("JsonlFileSource partitions", () => {
  it("reads one partition per file, taking turns while files have lines", async () => {
    const a = await file("a1\na2\na3\na4\na5\n");
    const b = await file("b1\n");
    const c = await file("c1\nc2\nc3\n");
    const empty = await file("");
    const reader = await new JsonlFileSource({ paths: [a, empty, b, c], batchSize: 2 }).open({
      step: "in",
    });
    try {
      assert.equal(reader.partitions, 4);
      const batches = (await pollAll(reader)).map((b) => [b.partition, ...b.values]);
      assert.deepEqual(batches, [
        [0, "a1", "a2"],
        [2, "b1"],
        [3, "c1", "c2"],
        [0, "a3", "a4"],
        [3, "c3"],
        [0, "a5"],
      ]);
      assert.deepEqual(
        reader.positions!(),
        new Map([
          [0, 15],
          [1, 0],
          [2, 3],
          [3, 9],
        ]),
      );
    } finally {
      await reader.close();
    }
  });

  it("resumes each file at its own offset", async () => {
    const a = await file("a1\na2\na3\n");
    const b = await file("b1\nb2\n");
    const source = new JsonlFileSource({ paths: [a, b], batchSize: 10 });
    const reader = await source.open({
      step: "in",
      resumeFrom: new Map([
        [0, 3],
        [1, 6],
      ]),
    });
    try {
      assert.deepEqual(
        (await pollAll(reader)).map((b) => [b.partition, ...b.values]),
        [[0, "a2", "a3"]],
      );
    } finally {
      await reader.close();
    }
  });

  it("describes itself by file names", () => {
    assert.equal(new JsonlFileSource({ paths: ["/x/a.jsonl"] }).description, "file:a.jsonl");
    assert.equal(
      new JsonlFileSource({ paths: ["a", "b", "c", "d", "e"] }).description,
      "file:a,b,c,… (5 files)",
    );
  });
});

describe("JsonlFileSource errors", () => {
  async function rejectsOpen(
    source: JsonlFileSource,
    resumeFrom: ReadonlyMap<number, unknown> | undefined,
    pattern: RegExp,
  ) {
    await assert.rejects(
      source.open(resumeFrom ? { step: "in", resumeFrom } : { step: "in" }),
      (error: unknown) => {
        assert.ok(error instanceof FileSourceError);
        assert.match(error.message, pattern);
        return true;
      },
    );
  }

  it("names a missing file", async () => {
    const good = await file("a\n");
    const missing = path.join(dir, "missing.jsonl");
    await assert.rejects(
      new JsonlFileSource({ paths: [good, missing] }).open({ step: "in" }),
      (error: unknown) => {
        assert.ok(error instanceof FileSourceError);
        assert.equal(error.path, missing);
        assert.equal(error.message, `${missing}: no such file`);
        assert.equal((error.cause as NodeJS.ErrnoException).code, "ENOENT");
        return true;
      },
    );
  });

  it("refuses a directory", async () => {
    const sub = path.join(dir, "a-directory");
    await mkdir(sub);
    await rejectsOpen(
      new JsonlFileSource({ paths: [sub] }),
      undefined,
      /a-directory: is not a regular file/,
    );
  });

  it("refuses resume positions that do not fit the file", async () => {
    const name = await file("a1\na2\n");
    const source = new JsonlFileSource({ paths: [name] });
    const base = path.basename(name).replace(".", "\\.");
    await rejectsOpen(
      source,
      new Map([[0, 4]]),
      new RegExp(`${base}: resume position 4 is not at the start of a line`),
    );
    await rejectsOpen(
      source,
      new Map([[0, 7]]),
      /resume position 7 lies beyond the end of the file \(6 bytes\)/,
    );
    await rejectsOpen(source, new Map([[0, "3"]]), /invalid resume position "3"/);
    await rejectsOpen(source, new Map([[0, -1]]), /invalid resume position -1/);
    await rejectsOpen(
      source,
      new Map([[1, 0]]),
      /position for partition 1, but the source reads 1 file/,
    );
  });

  it("accepts a resume position at the end of a file without a final newline", async () => {
    const source = new JsonlFileSource({ paths: [await file("a1\na2")] });
    const reader = await source.open({ step: "in", resumeFrom: new Map([[0, 5]]) });
    try {
      assert.deepEqual(await reader.poll(), { kind: "end" });
    } finally {
      await reader.close();
    }
  });

  it("refuses bad options", () => {
    assert.throws(() => new JsonlFileSource({ paths: [] }), /at least one file/);
    assert.throws(() => new JsonlFileSource({ paths: ["a"], batchSize: 0 }), /batchSize/);
    assert.throws(() => new JsonlFileSource({ paths: ["a"], chunkSize: 1.5 }), /chunkSize/);
  });
});
