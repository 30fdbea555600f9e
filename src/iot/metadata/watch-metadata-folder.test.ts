import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, describe, it } from "node:test";
import { loadMetadataFolder } from "./load-metadata-folder.js";
import { MetadataCatalog } from "./metadata-catalog.js";
import type { MetadataSet } from "./metadata-set.js";
import { SENSORS, writeJson, writeMetadataFolder } from "./test-metadata.js";
import { watchMetadataFolder } from "./watch-metadata-folder.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("watchMetadataFolder", () => {
  it("swaps the tables when a file changes and keeps them when a file is bad", async () => {
    const dir = await writeMetadataFolder();
    dirs.push(dir);
    const catalog = new MetadataCatalog(await loadMetadataFolder(dir));
    const reloads: MetadataSet[] = [];
    const errors: Error[] = [];
    const watcher = watchMetadataFolder(dir, catalog, {
      intervalMs: 60_000,
      onReload: (set) => reloads.push(set),
      onError: (error) => errors.push(error),
    });
    try {
      await watcher.check();
      assert.equal(reloads.length, 0, "nothing changed yet");

      const added = { ...SENSORS[1], sensor_id: "VIB-009" };
      await writeJson(dir, "sensors", [...SENSORS, added]);
      await watcher.check();
      assert.equal(reloads.length, 1);
      assert.equal(catalog.sensors.size, 5);
      assert.equal(catalog.sensors.get("VIB-009")?.equipment_id, "PUMP-7");
      const tableVersion = catalog.sensors.version;

      await writeJson(dir, "sensors", [{ ...SENSORS[0], sensor_type: "smell" }]);
      await watcher.check();
      assert.equal(errors.length, 1);
      assert.match(
        errors[0]!.message,
        /sensors\.json: record 0 \(sensor_id "TEMP-001"\), field sensor_type: expected one of/,
      );
      assert.equal(catalog.sensors.size, 5, "the previous tables stay");
      assert.equal(catalog.sensors.version, tableVersion);

      await watcher.check();
      assert.equal(errors.length, 1, "an unchanged bad file is not reported again");

      await writeJson(dir, "sensors", SENSORS.slice(0, 2));
      await watcher.check();
      assert.equal(reloads.length, 2);
      assert.deepEqual(
        [...catalog.sensors.entries()].map(([id]) => id),
        ["TEMP-001", "VIB-002"],
      );
    } finally {
      watcher.close();
    }
  });

  it("polls on its own every intervalMs", async () => {
    const dir = await writeMetadataFolder();
    dirs.push(dir);
    const catalog = new MetadataCatalog(await loadMetadataFolder(dir));
    let resolveReload: (set: MetadataSet) => void = () => {};
    let guard: NodeJS.Timeout | undefined;
    // The watcher's timer is unref'd; this one keeps the process alive and bounds the wait.
    const reloaded = new Promise<MetadataSet>((resolve, reject) => {
      resolveReload = resolve;
      guard = setTimeout(() => reject(new Error("no reload within 5 s")), 5000);
    });
    const watcher = watchMetadataFolder(dir, catalog, {
      intervalMs: 20,
      onReload: (set) => resolveReload(set),
    });
    try {
      await new Promise((r) => setTimeout(r, 50));
      await writeJson(dir, "sensors", SENSORS.slice(0, 1));
      const set = await reloaded;
      assert.equal(set.sensors.size, 1);
      assert.equal(catalog.sensors.size, 1);
    } finally {
      clearTimeout(guard);
      watcher.close();
    }
  });
});
