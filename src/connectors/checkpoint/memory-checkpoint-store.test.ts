/**
 * The engine's reference store, MemoryCheckpointStore, against the checkpoint store
 * contract suite. It keeps no checksums and nothing on disk, so the tests that need a
 * corruption, failure or reopen hook are skipped for it.
 */
import { MemoryCheckpointStore } from "../../engine/checkpoint/memory-checkpoint-store.js";
import { describeCheckpointStore } from "./checkpoint-store.case.js";

describeCheckpointStore("MemoryCheckpointStore", async () => ({
  store: new MemoryCheckpointStore(),
}));
