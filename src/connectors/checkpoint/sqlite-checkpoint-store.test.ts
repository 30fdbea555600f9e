/**
 * SqliteCheckpointStore: the contract suite on a fresh file per test, then what is
 * particular to SQLite: the file and its settings, schema versions, compaction, two
 * connections on one file, and a process killed with SIGKILL in the middle of a commit.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import {
  bigRows,
  canonical,
  checkpointData,
  describeCheckpointStore,
  randomCheckpoints,
  StateModel,
  stateRow,
} from "./checkpoint-store.case.js";
import {
  CheckpointSchemaError,
  CheckpointSequenceError,
  CheckpointStoreError,
  InvalidCheckpointError,
} from "./errors.js";
import { SQLITE_SCHEMA_VERSION, SqliteCheckpointStore } from "./sqlite-checkpoint-store.js";

const root = mkdtempSync(path.join(tmpdir(), "millstream-sqlite-checkpoints-"));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;

/** A path for a new database file, in folders that do not exist yet. */
function newFile(): string {
  files++;
  return path.join(root, `test-${files}`, "nested", "checkpoints.db");
}

/** Runs `work` on a second connection to `file`, as another process or a stray tool would. */
function withConnection<T>(file: string, work: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** The contract suite, committing on the worker thread (default) or on the event loop. */
for (const thread of [true, false]) {
  describeCheckpointStore(`SqliteCheckpointStore (thread: ${thread})`, async ({ onWarning }) => {
    const file = newFile();
    const open = () => new SqliteCheckpointStore({ path: file, onWarning, thread });
    return {
      store: open(),
      reopen: async () => open(),
      corrupt: async (job, id) => {
        withConnection(file, (db) => {
          const changed = db
            .prepare(
              `UPDATE checkpoint_state SET state = state || ' ' WHERE rowid = (
               SELECT rowid FROM checkpoint_state
               WHERE job = ? AND checkpoint_id = ? AND state IS NOT NULL LIMIT 1)`,
            )
            .run(job, id).changes;
          if (changed === 0) {
            db.prepare(
              "UPDATE checkpoints SET created_at = created_at + 1 WHERE job = ? AND id = ?",
            ).run(job, id);
          }
        });
      },
      failOnKey: async (key) => {
        withConnection(file, (db) =>
          db.exec(
            `CREATE TRIGGER fail_on_key BEFORE INSERT ON checkpoint_state
           WHEN NEW.key = '${key.replaceAll("'", "''")}'
           BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
          ),
        );
      },
      dispose: async () =>
        rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true }),
    };
  });
}

describe("SqliteCheckpointStore", () => {
  it("a commit on the thread keeps the event loop mostly idle; one on the event loop keeps it busy", async (t) => {
    /** Share of the commit's wall time the event loop was busy, for two commits of 40,000 keys. */
    const busyShare = async (thread: boolean): Promise<number> => {
      const store = new SqliteCheckpointStore({ path: newFile(), thread });
      await store.commit(checkpointData("j", 1, bigRows(40_000, 1)));
      const data = checkpointData("j", 2, bigRows(40_000, 2));
      const before = performance.eventLoopUtilization();
      await store.commit(data);
      const share = performance.eventLoopUtilization(before).utilization;
      await store.close();
      return share;
    };
    const onThread = await busyShare(true);
    const here = await busyShare(false);
    t.diagnostic(
      `event loop busy: ${onThread.toFixed(2)} (thread), ${here.toFixed(2)} (event loop)`,
    );
    assert.ok(here > 0.5, `committing on the event loop kept it busy only ${here.toFixed(2)}`);
    assert.ok(
      onThread < here / 2,
      `the threaded commit kept the event loop busy ${onThread.toFixed(2)} of the time (on the event loop: ${here.toFixed(2)})`,
    );
  });

  it("backpressure: ready() waits while more than maxUnwrittenBytes of the rows handed to the thread are not written", async () => {
    const limit = 200_000;
    const store = new SqliteCheckpointStore({ path: newFile(), maxUnwrittenBytes: limit });
    const rows = bigRows(20_000, 1);
    const size = (slice: readonly { key: string; state: string | null }[]) =>
      slice.reduce((n, r) => n + r.key.length + (r.state?.length ?? 0), 0);
    assert.ok(size(rows) > 20 * limit, "the rows are far more than the limit");
    const turn = () => new Promise<"pending">((resolve) => setImmediate(() => resolve("pending")));
    // Handed over at once: ready() waits for the thread to write them.
    const writer = store.begin(checkpointData("j", 1, []));
    for (let from = 0; from < rows.length; from += 2000) writer.add(rows.slice(from, from + 2000));
    const state = await Promise.race([writer.ready!().then(() => "ready" as const), turn()]);
    assert.equal(state, "pending");
    await writer.ready!();
    await writer.finish();
    // Fed only when ready: it waits now and then for the thread, and the same
    // checkpoint is committed.
    const fed = store.begin(checkpointData("j", 2, []));
    const second = bigRows(20_000, 2);
    let waits = 0;
    for (let from = 0; from < second.length; from += 500) {
      const ready = fed.ready!();
      if ((await Promise.race([ready.then(() => "ready" as const), turn()])) === "pending") {
        waits++;
        await ready;
      }
      fed.add(second.slice(from, from + 500));
    }
    await fed.finish();
    assert.ok(waits > 0, "feeding 20,000 rows of 20 times the limit never waited");
    const model = new StateModel()
      .apply(checkpointData("j", 1, rows))
      .apply(checkpointData("j", 2, second));
    assert.deepEqual(canonical(await store.latest("j")), model.expected());
    await store.close();
  });

  it("keys that SQLite orders differently from the canonical order still verify", async () => {
    // UTF-16 puts U+1F600 (a surrogate pair, 0xD83D…) before U+FFFD; UTF-8, as SQLite compares, after.
    for (const thread of [true, false]) {
      const warnings: string[] = [];
      const store = new SqliteCheckpointStore({
        path: newFile(),
        thread,
        onWarning: (m) => warnings.push(m),
      });
      const rows = ["\u{1F600}", "\uFFFD", "a", "\u{10FFFF}", "\uE000"].map((k, i) =>
        stateRow("s", 0, k, { i }),
      );
      await store.commit(checkpointData("j", 1, rows));
      assert.equal((await store.latest("j"))?.rows.length, 5);
      assert.deepEqual(warnings, []);
      await store.close();
    }
  });

  it("a value that cannot reach the thread is refused as InvalidCheckpointError, and the next commit works", async () => {
    const store = new SqliteCheckpointStore({ path: newFile() });
    const bad = { ...stateRow("avg", 0, "a", 1), state: (() => "x") as unknown as string };
    await assert.rejects(
      store.commit(checkpointData("j", 1, [stateRow("avg", 0, "b", 2), bad])),
      InvalidCheckpointError,
    );
    await store.commit(checkpointData("j", 1, [stateRow("avg", 0, "b", 2)]));
    assert.equal((await store.latest("j"))?.rows.length, 1);
    await store.close();
  });

  it("creates the file and its folders, in WAL mode, with the current schema version", async () => {
    const file = newFile();
    const store = new SqliteCheckpointStore({ path: file });
    assert.equal(store.path, path.resolve(file));
    assert.equal(store.description, `sqlite:${path.resolve(file)}`);
    await store.commit(checkpointData("line-1", 1, [stateRow("avg", 0, "a", { v: 1 })]));
    assert.ok(existsSync(file));
    withConnection(file, (db) => {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("user_version", { simple: true }), SQLITE_SCHEMA_VERSION);
      assert.deepEqual(
        db
          .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
          .pluck()
          .all(),
        ["checkpoint_state", "checkpoints"],
      );
    });
    await store.close();
  });

  it("refuses a file written by a newer schema version, naming the file", async () => {
    const file = newFile();
    await new SqliteCheckpointStore({ path: file }).close();
    withConnection(file, (db) => db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`));
    assert.throws(
      () => new SqliteCheckpointStore({ path: file }),
      (error: Error) => {
        assert.ok(error instanceof CheckpointSchemaError);
        assert.ok(error.message.includes(path.resolve(file)), error.message);
        assert.match(error.message, /schema version 2; this millstream knows versions up to 1/);
        return true;
      },
    );
  });

  it("reports a file that cannot be opened as CheckpointStoreError naming it", async () => {
    const file = newFile();
    // A folder where the database file should be.
    await new SqliteCheckpointStore({ path: path.join(file, "x.db") }).close();
    assert.throws(
      () => new SqliteCheckpointStore({ path: file }),
      (error: Error) =>
        error instanceof CheckpointStoreError && error.message.includes(path.resolve(file)),
    );
  });

  it("compaction keeps at most two versions of a key and the two newest checkpoints", async () => {
    const file = newFile();
    const store = new SqliteCheckpointStore({ path: file });
    const model = new StateModel();
    for (let id = 1; id <= 50; id++) {
      const rows = [];
      for (let k = 0; k < 100; k++) {
        // Every key is rewritten every checkpoint; a tenth are deleted every 7th.
        rows.push(stateRow("avg", k % 4, `k${k}`, id % 7 === 0 && k % 10 === 0 ? null : { id, k }));
      }
      const data = checkpointData("line-1", id, rows);
      await store.commit(data);
      model.apply(data);
    }
    withConnection(file, (db) => {
      const counts = db
        .prepare(
          "SELECT count(*) AS n, count(DISTINCT key) AS keys, min(checkpoint_id) AS oldest FROM checkpoint_state",
        )
        .get() as { n: number; keys: number; oldest: number };
      assert.deepEqual(counts, { n: 200, keys: 100, oldest: 49 });
      assert.deepEqual(
        db.prepare("SELECT id FROM checkpoints ORDER BY id").pluck().all(),
        [49, 50],
      );
    });
    assert.deepEqual(canonical(await store.latest("line-1")), model.expected());
    await store.close();
  });

  it("drops tombstones once no checkpoint it keeps needs them", async () => {
    const file = newFile();
    const store = new SqliteCheckpointStore({ path: file });
    await store.commit(
      checkpointData("j", 1, [stateRow("s", 0, "a", 1), stateRow("s", 0, "b", 1)]),
    );
    await store.commit(checkpointData("j", 2, [stateRow("s", 0, "a", null)]));
    await store.commit(checkpointData("j", 3, []));
    const rows = () =>
      withConnection(file, (db) =>
        db
          .prepare(
            "SELECT key, checkpoint_id, state FROM checkpoint_state ORDER BY key, checkpoint_id",
          )
          .raw()
          .all(),
      );
    // Checkpoint 2 must stay restorable: its tombstone stays, the version it hides goes.
    assert.deepEqual(rows(), [
      ['"a"', 2, null],
      ['"b"', 1, "1"],
    ]);
    await store.commit(checkpointData("j", 4, []));
    assert.deepEqual(rows(), [['"b"', 1, "1"]]);
    await store.close();
  });

  it("rejects a key twice in one checkpoint, naming it, and writes nothing", async () => {
    const store = new SqliteCheckpointStore({ path: newFile() });
    await assert.rejects(
      store.commit(
        checkpointData("line-1", 1, [stateRow("avg", 3, "a", 1), stateRow("avg", 3, "a", 2)]),
      ),
      (error: Error) => {
        assert.ok(error instanceof InvalidCheckpointError);
        assert.equal(
          error.message,
          'checkpoint 1 of job "line-1": step "avg" partition 3 key "a" appears twice in rows',
        );
        return true;
      },
    );
    assert.equal(await store.latest("line-1"), null);
    await store.close();
  });

  it("two connections on one file: the second writer of a job is rejected with CheckpointSequenceError", async () => {
    const file = newFile();
    const a = new SqliteCheckpointStore({ path: file });
    const b = new SqliteCheckpointStore({ path: file });
    await a.commit(checkpointData("line-1", 1, [stateRow("avg", 0, "a", 1)]));
    await a.commit(checkpointData("line-1", 2, [stateRow("avg", 0, "a", 2)]));
    await assert.rejects(
      b.commit(checkpointData("line-1", 2, [stateRow("avg", 0, "a", 99)])),
      (error: Error) => {
        assert.ok(error instanceof CheckpointSequenceError);
        assert.equal(error.job, "line-1");
        assert.equal(error.id, 2);
        assert.equal(error.expected, 3);
        assert.equal(
          error.message,
          `sqlite:${path.resolve(file)}: checkpoint 2 of job "line-1" rejected: the latest committed checkpoint is 2, so the next id must be 3 (is another process writing this job's checkpoints?)`,
        );
        return true;
      },
    );
    assert.equal((await b.latest("line-1"))?.rows[0]?.state, "2");
    await b.commit(checkpointData("line-1", 3, [stateRow("avg", 0, "a", 3)]));
    assert.equal((await a.latest("line-1"))?.rows[0]?.state, "3");
    await a.close();
    await b.close();
  });

  it("a process killed with SIGKILL in the middle of a commit leaves the previous checkpoint", async (t) => {
    const file = newFile();
    const list = randomCheckpoints("plant", 2, 500, 23);
    const setup = new SqliteCheckpointStore({ path: file });
    for (const data of list) await setup.commit(data);
    await setup.close();
    const expected = new StateModel().apply(list[0]!).apply(list[1]!).expected();

    const storeModule = fileURLToPath(new URL("./sqlite-checkpoint-store.ts", import.meta.url));
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", CRASH_CHILD],
      {
        env: { ...process.env, STORE_MODULE: storeModule, DB_FILE: file },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      output += text;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => {
      child.on("exit", (_code, signal) => resolve(signal));
    });
    const wal = `${file}-wal`;
    const deadline = Date.now() + 60_000;
    let walBytes = 0;
    // Kill once the open transaction has spilled 16 MB of pages into the WAL.
    while (Date.now() < deadline && child.exitCode === null) {
      walBytes = output.includes("committing") && existsSync(wal) ? statSync(wal).size : 0;
      if (walBytes > 16 * 1024 * 1024) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const killed = child.kill("SIGKILL");
    const signal = await exited;
    assert.ok(killed && signal === "SIGKILL", `the child was not killed (exit ${child.exitCode})`);
    assert.ok(
      !output.includes("committed"),
      "the commit finished before the kill: test inconclusive",
    );
    t.diagnostic(`killed with ${(walBytes / 1e6).toFixed(0)} MB of the transaction in the WAL`);

    const warnings: string[] = [];
    const store = new SqliteCheckpointStore({ path: file, onWarning: (m) => warnings.push(m) });
    assert.deepEqual(canonical(await store.latest("plant")), expected);
    assert.deepEqual(warnings, []);
    withConnection(file, (db) => {
      assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
      assert.equal(
        db.prepare("SELECT count(*) FROM checkpoint_state WHERE checkpoint_id = 3").pluck().get(),
        0,
      );
    });
    const redo = checkpointData("plant", 3, bigRows(1000, 3));
    await store.commit(redo);
    assert.deepEqual(
      canonical(await store.latest("plant")),
      new StateModel().apply(list[0]!).apply(list[1]!).apply(redo).expected(),
    );
    await store.close();
  });
});

/** The crashing process: opens the store and starts a commit of 600,000 rows (~250 MB). */
const CRASH_CHILD = `
const { SqliteCheckpointStore } = await import(process.env.STORE_MODULE);
const store = new SqliteCheckpointStore({ path: process.env.DB_FILE });
const rows = [];
for (let i = 0; i < 600000; i++) {
  rows.push({
    step: i % 2 ? "avg-temperature" : "stuck-sensor",
    partition: i % 64,
    key: JSON.stringify("sensor-" + i),
    state: JSON.stringify({ i, pad: "x".repeat(300) }),
  });
}
process.stdout.write("committing\\n");
await store.commit({ job: "plant", id: 3, createdAt: 3, rows, shared: [], positions: [], sinks: [] });
process.stdout.write("committed\\n");
`;
