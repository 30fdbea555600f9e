/**
 * Tests of JsonlFileSink: the sink contract, then its file layout, crashes at each
 * step of a checkpoint as seen on disk, restore and fresh-start rules, and errors.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { SinkContext, SinkWriter } from "../../engine/index.js";
import { describeSink } from "../testing/sink-contract.case.js";
import { FileSinkError, OutputDirectoryInUseError } from "./errors.js";
import { JsonlFileSink, type JsonlFileSinkOptions, readJsonlParts } from "./jsonl-file-sink.js";

interface Reading {
  readonly n: number;
  readonly text: string;
}

describeSink<Reading>("JsonlFileSink", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "millstream-file-sink-contract-"));
  const directory = path.join(root, "out");
  return {
    transactional: true,
    ordered: true,
    sink: () => new JsonlFileSink<Reading>({ directory, bufferBytes: 4096 }),
    record: (n) => ({ n, text: n % 2 === 0 ? "Grüße 🌡" : "line\nbreak" }),
    idOf: (value) => value.n,
    published: async () => (await readJsonlParts(directory)).map((l) => JSON.parse(l) as Reading),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let root: string;
let directory: string;
const writers: SinkWriter<unknown>[] = [];

async function start<T = unknown>(
  restored?: SinkContext["restored"],
  options: Partial<JsonlFileSinkOptions<T>> = {},
): Promise<SinkWriter<T>> {
  const sink = new JsonlFileSink<T>({ directory, ...options });
  const writer = await sink.open(restored ? { step: "out", restored } : { step: "out" });
  writers.push(writer as SinkWriter<unknown>);
  return writer;
}

/** Closes a writer as a crash would leave it: no further checkpoint. */
async function crash(writer: SinkWriter<unknown>): Promise<void> {
  writers.splice(writers.indexOf(writer), 1);
  await writer.close();
}

function write<T>(writer: SinkWriter<T>, values: T[]): void {
  writer.write({ values, times: values.map(() => 0), channel: 0 });
}

async function files(): Promise<string[]> {
  return (await readdir(directory)).sort();
}

async function lines(name: string): Promise<string[]> {
  return (await readFile(path.join(directory, name), "utf8")).split("\n").slice(0, -1);
}

describe("JsonlFileSink on disk", () => {
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), "millstream-file-sink-"));
    directory = path.join(root, "out");
  });
  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close();
    await rm(root, { recursive: true, force: true });
  });

  describe("JsonlFileSink files", () => {
    it("writes an epoch to a hidden file, prepares it as pending and publishes a part", async () => {
      const writer = await start<{ id: number }>(undefined, { bufferBytes: 10 });
      assert.deepEqual(await files(), []);
      write(writer, [{ id: 1 }, { id: 2 }]);
      assert.equal(writer.needsFlush, true);
      await writer.flush();
      assert.equal(writer.needsFlush, false);
      assert.deepEqual(await files(), [".epoch-1.jsonl.tmp"]);
      assert.deepEqual(await lines(".epoch-1.jsonl.tmp"), ['{"id":1}', '{"id":2}']);
      write(writer, [{ id: 3 }]);

      const progress = await writer.prepareCommit!(1);
      assert.deepEqual(progress, { pending: ".epoch-1.jsonl.pending" });
      assert.deepEqual(await files(), [".epoch-1.jsonl.pending"]);
      assert.deepEqual(await readJsonlParts(directory), []);

      await writer.commit!(1, progress);
      assert.deepEqual(await files(), ["part-0000000001.jsonl"]);
      assert.deepEqual(await lines("part-0000000001.jsonl"), ['{"id":1}', '{"id":2}', '{"id":3}']);
    });

    it("skips the file of an epoch without records but still returns progress", async () => {
      const writer = await start();
      const progress = await writer.prepareCommit!(1);
      assert.deepEqual(progress, { pending: null });
      await writer.commit!(1, progress);
      assert.deepEqual(await files(), []);
      write(writer, ["x"]);
      await writer.commit!(2, await writer.prepareCommit!(2));
      assert.deepEqual(await files(), ["part-0000000002.jsonl"]);
    });

    it("appends concurrent flushes in call order", async () => {
      const writer = await start<number>();
      const flushes: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) {
        write(writer, [i]);
        flushes.push(writer.flush());
      }
      await Promise.all(flushes);
      await writer.commit!(1, await writer.prepareCommit!(1));
      assert.deepEqual(
        await readJsonlParts(directory),
        Array.from({ length: 50 }, (_, i) => String(i)),
      );
    });

    it("carries a prepared epoch whose checkpoint was not committed into the next one", async () => {
      const writer = await start<string>();
      write(writer, ["a", "b"]);
      await writer.prepareCommit!(2); // the checkpoint store failed: no commit(2)
      write(writer, ["c"]);
      const progress = await writer.prepareCommit!(2); // the coordinator retries id 2
      write(writer, ["d"]);
      await writer.flush();
      const progress3 = await writer.prepareCommit!(3);
      assert.deepEqual(progress3, { pending: ".epoch-3.jsonl.pending" });
      assert.deepEqual(progress, { pending: ".epoch-2.jsonl.pending" });
      await writer.commit!(3, progress3);
      assert.deepEqual(await files(), ["part-0000000003.jsonl"]);
      assert.deepEqual(await readJsonlParts(directory), ['"a"', '"b"', '"c"', '"d"']);
    });

    it("lists published parts in numeric order and ignores other files", async () => {
      await mkdir(directory);
      await writeFile(path.join(directory, "part-10000000000.jsonl"), "3\n");
      await writeFile(path.join(directory, "part-0000000002.jsonl"), "1\n2\n");
      await writeFile(path.join(directory, ".epoch-3.jsonl.pending"), "no\n");
      await writeFile(path.join(directory, "notes.txt"), "no\n");
      assert.deepEqual(await readJsonlParts(directory), ["1", "2", "3"]);
    });

    it("uses a custom serializer, and refuses records it cannot write as one line", async () => {
      const writer = await start<{ v: number }>(undefined, { serialize: (r) => `v=${r.v}` });
      write(writer, [{ v: 1 }]);
      await writer.commit!(1, await writer.prepareCommit!(1));
      assert.deepEqual(await readJsonlParts(directory), ["v=1"]);

      const multi = await start<string>(
        { checkpointId: 1, progress: { pending: null } },
        { serialize: (s) => s },
      );
      assert.throws(
        () => write(multi, ["a\nb"]),
        /out: cannot write a record: .* contains a newline/,
      );

      const plain = await start<unknown>({ checkpointId: 1, progress: { pending: null } });
      assert.throws(
        () => write(plain, [undefined]),
        (error: unknown) => {
          assert.ok(error instanceof FileSinkError);
          assert.equal(error.directory, directory);
          assert.match(error.message, /serialising it gave undefined, not a string/);
          return true;
        },
      );
      assert.throws(() => write(plain, [{ big: 1n }]), /cannot serialise record 0 of a batch/);
    });
  });

  describe("JsonlFileSink crashes and restore", () => {
    it("publishes the pending epoch exactly once after a crash between prepareCommit and commit", async () => {
      const writer = await start<number>();
      write(writer, [1, 2]);
      const progress1 = await writer.prepareCommit!(1);
      await writer.commit!(1, progress1);
      write(writer, [3, 4]);
      const progress2 = await writer.prepareCommit!(2);
      write(writer, [5]);
      await writer.flush();
      await crash(writer);
      assert.deepEqual(await files(), [
        ".epoch-2.jsonl.pending",
        ".epoch-3.jsonl.tmp",
        "part-0000000001.jsonl",
      ]);

      // The checkpoint store committed checkpoint 2 before the crash.
      const restored = await start<number>({ checkpointId: 2, progress: progress2 });
      assert.deepEqual(await files(), ["part-0000000001.jsonl", "part-0000000002.jsonl"]);
      assert.deepEqual(await readJsonlParts(directory), ["1", "2", "3", "4"]);
      // Restoring twice (a crash during the first restore) changes nothing.
      await crash(restored);
      const again = await start<number>({ checkpointId: 2, progress: progress2 });
      assert.deepEqual(await readJsonlParts(directory), ["1", "2", "3", "4"]);
      write(again, [5]);
      await again.commit!(3, await again.prepareCommit!(3));
      assert.deepEqual(await readJsonlParts(directory), ["1", "2", "3", "4", "5"]);
    });

    it("discards the pending epoch when the checkpoint covering it was not committed", async () => {
      const writer = await start<number>();
      write(writer, [1]);
      const progress1 = await writer.prepareCommit!(1);
      await writer.commit!(1, progress1);
      write(writer, [2]);
      await writer.prepareCommit!(2);
      await crash(writer);
      await start<number>({ checkpointId: 1, progress: progress1 });
      assert.deepEqual(await files(), ["part-0000000001.jsonl"]);
    });

    it("discards the in-progress file of a crash before prepareCommit", async () => {
      const writer = await start<number>();
      write(writer, [1, 2, 3]);
      await writer.flush();
      await crash(writer);
      assert.deepEqual(await lines(".epoch-1.jsonl.tmp"), ["1", "2", "3"]);
      const fresh = await start<number>();
      assert.deepEqual(await files(), []);
      write(fresh, [1, 2, 3]);
      await fresh.commit!(1, await fresh.prepareCommit!(1));
      assert.deepEqual(await readJsonlParts(directory), ["1", "2", "3"]);
    });

    it("publishes older pending epochs that committed checkpoints cover", async () => {
      await mkdir(directory);
      await writeFile(path.join(directory, ".epoch-1.jsonl.pending"), "1\n");
      await writeFile(path.join(directory, ".epoch-2.jsonl.pending"), "2\n");
      await writeFile(path.join(directory, ".epoch-3.jsonl.pending"), "3\n");
      await start({ checkpointId: 2, progress: { pending: ".epoch-2.jsonl.pending" } });
      assert.deepEqual(await files(), ["part-0000000001.jsonl", "part-0000000002.jsonl"]);
    });

    it("refuses a restore when parts newer than the checkpoint are published", async () => {
      const writer = await start<number>();
      write(writer, [1]);
      const progress1 = await writer.prepareCommit!(1);
      await writer.commit!(1, progress1);
      write(writer, [2]);
      await writer.commit!(2, await writer.prepareCommit!(2));
      await crash(writer);
      await assert.rejects(start({ checkpointId: 1, progress: progress1 }), (error: unknown) => {
        assert.ok(error instanceof FileSinkError);
        assert.match(error.message, /part\(s\) newer than checkpoint 1 .*part-0000000002\.jsonl/);
        return true;
      });
      assert.deepEqual(await readJsonlParts(directory), ["1", "2"]);
    });

    it("refuses a restore whose pending epoch is gone and never published", async () => {
      await mkdir(directory);
      await assert.rejects(
        start({ checkpointId: 4, progress: { pending: ".epoch-4.jsonl.pending" } }),
        /checkpoint 4 covers records in \.epoch-4\.jsonl\.pending, but neither it nor part-0000000004\.jsonl exists/,
      );
    });

    it("refuses malformed progress", async () => {
      await assert.rejects(
        start({ checkpointId: 1, progress: { pending: "../../etc/passwd" } }),
        /invalid sink progress/,
      );
      const writer = await start();
      await assert.rejects(writer.commit!(1, "nope"), /invalid sink progress "nope"/);
    });
  });

  describe("JsonlFileSink fresh start", () => {
    it("refuses a directory with published parts and leaves it untouched", async () => {
      await mkdir(directory);
      await writeFile(path.join(directory, "part-0000000001.jsonl"), "1\n");
      await writeFile(path.join(directory, ".epoch-2.jsonl.tmp"), "2\n");
      await assert.rejects(start(), (error: unknown) => {
        assert.ok(error instanceof OutputDirectoryInUseError);
        assert.equal(error.directory, directory);
        assert.deepEqual(error.parts, ["part-0000000001.jsonl"]);
        assert.ok(error.message.startsWith(`${directory}: holds 1 published part file(s)`));
        assert.match(error.message, /a fresh start needs an empty directory/);
        return true;
      });
      assert.deepEqual(await files(), [".epoch-2.jsonl.tmp", "part-0000000001.jsonl"]);
    });

    it("deletes parts of an earlier run with overwrite", async () => {
      await mkdir(directory);
      await writeFile(path.join(directory, "part-0000000001.jsonl"), "old\n");
      await writeFile(path.join(directory, ".epoch-2.jsonl.pending"), "old\n");
      await writeFile(path.join(directory, "notes.txt"), "kept\n");
      const writer = await start<string>(undefined, { overwrite: true });
      assert.deepEqual(await files(), ["notes.txt"]);
      write(writer, ["new"]);
      await writer.commit!(1, await writer.prepareCommit!(1));
      assert.deepEqual(await readJsonlParts(directory), ['"new"']);
    });

    it("starts afresh when the restored checkpoint holds no progress for it", async () => {
      await mkdir(directory);
      await writeFile(path.join(directory, ".epoch-7.jsonl.tmp"), "old\n");
      const writer = await start<number>({ checkpointId: 6, progress: undefined });
      assert.deepEqual(await files(), []);
      write(writer, [1]);
      await writer.commit!(7, await writer.prepareCommit!(7));
      await crash(writer);
      assert.deepEqual(await files(), ["part-0000000007.jsonl"]);
      await assert.rejects(
        start({ checkpointId: 6, progress: undefined }),
        OutputDirectoryInUseError,
      );
    });

    it("deletes stray epoch files of a run that published nothing", async () => {
      await mkdir(directory);
      await writeFile(path.join(directory, ".epoch-1.jsonl.pending"), "old\n");
      await writeFile(path.join(directory, ".epoch-2.jsonl.tmp"), "old\n");
      await start();
      assert.deepEqual(await files(), []);
    });

    it("creates missing parent directories and names a directory it cannot create", async () => {
      directory = path.join(root, "a", "b", "out");
      await start();
      assert.deepEqual(await files(), []);
      const blocker = path.join(root, "file");
      await writeFile(blocker, "");
      directory = path.join(blocker, "out");
      await assert.rejects(start(), (error: unknown) => {
        assert.ok(error instanceof FileSinkError);
        assert.equal(error.message, `${directory}: cannot create the output directory`);
        return true;
      });
    });

    it("refuses use after close", async () => {
      const writer = await start();
      await crash(writer);
      assert.throws(() => write(writer, [1]), /write after close/);
      await assert.rejects(writer.flush(), /flush after close/);
      await assert.rejects(writer.prepareCommit!(1), /prepareCommit after close/);
    });
  });
});
