/**
 * Tests for scripts/check-layers.mjs: small source trees in a temp folder, one per rule,
 * and the real repository, which must stay clean.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import {
  checkLayers,
  findImports,
  formatViolation,
  type LayerViolation,
} from "../../scripts/check-layers.mjs";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const tempRoots: string[] = [];

after(() => {
  for (const dir of tempRoots) rmSync(dir, { recursive: true, force: true });
});

/** Writes `files` (path relative to the root → contents) into a fresh temp folder. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "millstream-layers-"));
  tempRoots.push(root);
  mkdirSync(path.join(root, "src"));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

function brief(violations: LayerViolation[]): string[] {
  return violations.map((v) => `${v.file}:${v.line}: ${v.rule}`);
}

const cleanTree = {
  "src/engine/window/tumbling.ts": [
    'import { performance } from "node:perf_hooks";',
    'import type { Clock } from "../clock.js";',
    'export * from "./pane.js";',
    "",
  ].join("\n"),
  "src/engine/window/pane.ts": "export const pane = 1;\n",
  "src/engine/clock.ts": 'import { EventEmitter } from "node:events";\nexport type Clock = 1;\n',
  "src/connectors/mqtt/mqtt-source.ts":
    'import mqtt from "mqtt";\nimport "../../engine/clock.js";\n',
  "src/cli/main.ts": [
    'import { readFileSync } from "node:fs";',
    'import { serve } from "../server/serve.js";',
    'import { pipeline } from "../iot/plant.js";',
    "",
  ].join("\n"),
  "src/server/serve.ts": 'export { pane } from "../engine/window/pane.js";\n',
  "src/iot/plant.ts": 'const m = await import("../alerts/route.js");\n',
  "src/alerts/route.ts": "export {};\n",
};

describe("check-layers", () => {
  test("a clean tree has zero violations", () => {
    assert.deepEqual(checkLayers(fixture(cleanTree)), []);
  });

  test("an upward import is reported with its file and line", () => {
    const root = fixture({
      "src/engine/window/tumbling.ts": [
        "/** Tumbling windows. */",
        'import { pane } from "./pane.js";',
        "",
        'import { mqttSource } from "../../connectors/mqtt.js";',
        "",
      ].join("\n"),
      "src/engine/window/pane.ts": "export const pane = 1;\n",
      "src/connectors/mqtt.ts": "export const mqttSource = 1;\n",
      "src/server/api.ts": 'import { main } from "../cli/main.js";\n',
      "src/cli/main.ts": "export const main = 1;\n",
    });
    const violations = checkLayers(root);
    assert.deepEqual(brief(violations), [
      "src/engine/window/tumbling.ts:4: layer-direction",
      "src/server/api.ts:1: layer-direction",
    ]);
    assert.match(violations[1]!.message, /server may not import cli/);
    assert.match(formatViolation(violations[0]!), /^src\/engine\/window\/tumbling\.ts:4: /);
  });

  test("engine importing an npm package is reported", () => {
    const root = fixture({
      "src/engine/stream.ts": 'import { z } from "zod";\nexport * from "lodash/fp";\n',
    });
    const violations = checkLayers(root);
    assert.deepEqual(brief(violations), [
      "src/engine/stream.ts:1: engine-imports",
      "src/engine/stream.ts:2: engine-imports",
    ]);
    assert.match(violations[0]!.message, /"zod"/);
  });

  test("engine importing node:fs or another I/O built-in is reported", () => {
    const root = fixture({
      "src/engine/checkpoint.ts": [
        'import { readFile } from "node:fs/promises";',
        'import { writeFileSync } from "node:fs";',
        'import { createHash } from "node:crypto";',
        'import { Worker } from "node:worker_threads";',
        'import { inspect } from "node:util";',
        'const net = await import("node:net");',
        'import { EventEmitter } from "events";',
        "",
      ].join("\n"),
    });
    assert.deepEqual(brief(checkLayers(root)), [
      "src/engine/checkpoint.ts:1: engine-imports",
      "src/engine/checkpoint.ts:2: engine-imports",
      "src/engine/checkpoint.ts:6: engine-imports",
      "src/engine/checkpoint.ts:7: engine-imports",
    ]);
  });

  test("engine test files may use packages and I/O built-ins, never upward imports", () => {
    const root = fixture({
      "src/engine/window/tumbling.test.ts": [
        'import { mkdtempSync } from "node:fs";',
        'import fc from "fast-check";',
        'import "../../iot/plant.js";',
        "",
      ].join("\n"),
      "src/iot/plant.ts": "export {};\n",
    });
    assert.deepEqual(brief(checkLayers(root)), [
      "src/engine/window/tumbling.test.ts:3: layer-direction",
    ]);
  });

  test("a relative import without .js is reported", () => {
    const root = fixture({
      "src/iot/reading.ts": 'import { x } from "./schema";\nimport { y } from "./units.ts";\n',
      "src/iot/schema.ts": "export const x = 1;\n",
      "src/iot/units.ts": "export const y = 1;\n",
    });
    assert.deepEqual(brief(checkLayers(root)), [
      "src/iot/reading.ts:1: js-extension",
      "src/iot/reading.ts:2: js-extension",
    ]);
  });

  test("files and imports outside the layer folders are reported", () => {
    const root = fixture({
      "src/index.ts": "export {};\n",
      "src/iot/plant.ts": 'import "../../scripts/tool.js";\nimport "../index.js";\n',
    });
    assert.deepEqual(brief(checkLayers(root)), [
      "src/index.ts:1: unknown-layer",
      "src/iot/plant.ts:1: unknown-layer",
      "src/iot/plant.ts:2: unknown-layer",
    ]);
  });

  test("a dynamic import of a computed specifier is reported", () => {
    const root = fixture({ "src/connectors/load.ts": "const m = await import(name);\n" });
    assert.deepEqual(brief(checkLayers(root)), ["src/connectors/load.ts:1: dynamic-import"]);
  });

  test("imports are read from syntax: multi-line lists count, comments and strings do not", () => {
    const source = [
      "// import { a } from '../cli/a.js';",
      "/*",
      ' * import "../server/b.js";',
      " */",
      "import {",
      "  one,",
      "  two,",
      '} from "./multi.js";',
      "const text = \"import x from '../cli/c.js'\";",
      "const tpl = `export * from '../cli/d.js'`;",
      "export {",
      "  three,",
      "} from './re-export.js';",
      "type T = typeof import('./typed.js');",
      'import json = require("./legacy.js");',
      "const lazy = () =>",
      "  import(",
      '    "./lazy.js"',
      "  );",
      'import "./side-effect.js";',
    ].join("\n");
    assert.deepEqual(findImports(source), [
      { specifier: "./multi.js", line: 8 },
      { specifier: "./re-export.js", line: 13 },
      { specifier: "./typed.js", line: 14 },
      { specifier: "./legacy.js", line: 15 },
      { specifier: "./lazy.js", line: 18 },
      { specifier: "./side-effect.js", line: 20 },
    ]);
  });

  test("the repository's src/ has zero violations", () => {
    const violations = checkLayers(REPO_ROOT);
    assert.deepEqual(violations.map(formatViolation), []);
  });
});
