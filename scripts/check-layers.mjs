#!/usr/bin/env node
/**
 * Checks the import rules of docs/development.md ("Layers") on every TypeScript file
 * under `src/`. Run by `npm run lint`; `checkLayers` is exported for the tests.
 *
 * Layers, top to bottom: cli, server, iot, alerts, connectors, engine. A file may import
 * its own layer and the layers below it, never one above. `src/engine` imports only
 * files inside `src/engine` and `node:` built-ins other than the I/O ones. Relative
 * imports end in `.js`.
 *
 * Imports are read from the TypeScript syntax tree, so comments, strings and template
 * text never count as imports, and multi-line import lists are handled.
 */
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** The layer folders under `src/`, top to bottom. */
export const LAYERS = Object.freeze(["cli", "server", "iot", "alerts", "connectors", "engine"]);

/** Node built-ins that do I/O; `src/engine` may not import them (nor their subpaths). */
export const ENGINE_FORBIDDEN_BUILTINS = Object.freeze([
  "node:fs",
  "node:fs/promises",
  "node:net",
  "node:http",
  "node:https",
  "node:http2",
  "node:tls",
  "node:dgram",
  "node:child_process",
  "node:cluster",
]);

const SOURCE_FILE = /\.[cm]?tsx?$/;
const SKIP_DIRS = new Set(["node_modules", "dist"]);
/** Test and contract-suite files are not built into dist/ (see tsconfig.build.json). */
const TEST_ONLY_FILE = /\.(test|case)\.[cm]?tsx?$/;
const LAYER_ORDER = LAYERS.join(" → ");

/**
 * Finds the module specifiers of a TypeScript source: static imports (`import … from`,
 * `import "x"`, `import x = require("x")`), re-exports (`export … from`), dynamic
 * `import("x")`, `require("x")` and type-position `import("x")`.
 *
 * Returns one entry per specifier, in source order, with the 1-based line of the
 * specifier. A dynamic import whose argument is not a plain string has `specifier: null`.
 */
export function findImports(sourceText, fileName = "file.ts") {
  const kind = /\.[cm]?tsx$/.test(fileName) ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const sourceFile = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.Latest, false, kind);
  const imports = [];
  const add = (node, specifier) => {
    const start = node.getStart(sourceFile);
    const line = sourceFile.getLineAndCharacterOfPosition(start).line + 1;
    imports.push({ specifier, line });
  };
  const literalText = (node) =>
    node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
      ? node.text
      : undefined;

  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      const text = literalText(node.moduleSpecifier);
      if (text !== undefined) add(node.moduleSpecifier, text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      const expr = node.moduleReference.expression;
      const text = literalText(expr);
      if (text !== undefined) add(expr, text);
    } else if (ts.isCallExpression(node)) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if (isImport || isRequire) {
        const arg = node.arguments[0];
        const text = literalText(arg);
        if (text !== undefined) add(arg, text);
        else if (isImport) add(node, null);
      }
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      if (ts.isLiteralTypeNode(arg) && ts.isStringLiteral(arg.literal)) {
        add(arg.literal, arg.literal.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return imports;
}

/**
 * Lists the TypeScript files under `rootDir/src`, recursively, as paths relative to
 * `rootDir` with `/` separators, sorted. Skips `node_modules`, `dist` and hidden folders.
 */
export function listSourceFiles(rootDir) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith(".")) walk(full);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
        found.push(path.relative(rootDir, full).split(path.sep).join("/"));
      }
    }
  };
  walk(path.join(rootDir, "src"));
  return found.sort();
}

/** The layer of a path relative to `src/` (`"engine/window/x.ts"` → `"engine"`). */
function layerOf(srcRelative) {
  const first = srcRelative.split("/")[0];
  return srcRelative.includes("/") && LAYERS.includes(first) ? first : undefined;
}

/**
 * Checks the imports of one file. `file` is its path relative to the repository root
 * (`src/…`, `/` separators); `sourceText` its contents.
 */
export function checkSource(file, sourceText) {
  const violations = [];
  const report = (line, rule, message) => violations.push({ file, line, rule, message });
  const srcRelative = file.slice("src/".length);
  const layer = layerOf(srcRelative);
  if (!layer) {
    report(1, "unknown-layer", `file is outside the layer folders (src/{${LAYERS.join(",")}}/)`);
    return violations;
  }
  const testOnly = TEST_ONLY_FILE.test(file);

  for (const { specifier, line } of findImports(sourceText, file)) {
    if (specifier === null) {
      report(line, "dynamic-import", "dynamic import() must take a string literal to be checked");
      continue;
    }
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (relative) {
      if (!specifier.endsWith(".js")) {
        report(line, "js-extension", `relative import "${specifier}" must end in .js`);
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const targetLayer = target.startsWith("src/")
        ? layerOf(target.slice("src/".length))
        : undefined;
      if (!targetLayer) {
        report(line, "unknown-layer", `"${specifier}" resolves outside the layer folders of src/`);
      } else if (LAYERS.indexOf(targetLayer) < LAYERS.indexOf(layer)) {
        report(
          line,
          "layer-direction",
          `${layer} may not import ${targetLayer} ("${specifier}"); layers import only downwards: ${LAYER_ORDER}`,
        );
      }
      continue;
    }
    if (layer !== "engine") continue;

    if (specifier.startsWith("node:")) {
      const io = ENGINE_FORBIDDEN_BUILTINS.some(
        (name) => specifier === name || specifier.startsWith(`${name}/`),
      );
      if (io && !testOnly) {
        report(line, "engine-imports", `engine may not import the I/O built-in "${specifier}"`);
      } else if (!isBuiltin(specifier)) {
        report(line, "engine-imports", `"${specifier}" is not a Node built-in`);
      }
    } else if (isBuiltin(specifier)) {
      report(
        line,
        "engine-imports",
        `engine imports Node built-ins with the node: prefix ("node:${specifier}", not "${specifier}")`,
      );
    } else if (!testOnly) {
      report(
        line,
        "engine-imports",
        `engine may import only files inside src/engine and node: built-ins, not the package "${specifier}"`,
      );
    }
  }
  return violations;
}

/**
 * Checks every TypeScript file under `rootDir/src` and returns the violations, ordered by
 * file and line. Each is `{ file, line, rule, message }` with `file` relative to
 * `rootDir`. Rules: `layer-direction`, `engine-imports`, `js-extension`, `unknown-layer`,
 * `dynamic-import`.
 *
 * Test-only files (`*.test.ts`, `*.case.ts`, which are not built into dist/) under
 * `src/engine` may also import packages and I/O built-ins; every other rule applies
 * to them. Throws if `rootDir/src` does not exist.
 */
export function checkLayers(rootDir) {
  return listSourceFiles(rootDir).flatMap((file) =>
    checkSource(file, readFileSync(path.join(rootDir, file), "utf8")),
  );
}

/** Formats a violation as `path:line: rule: message`. */
export function formatViolation(v) {
  return `${v.file}:${v.line}: ${v.rule}: ${v.message}`;
}

function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const violations = checkLayers(root);
  const fileCount = listSourceFiles(root).length;
  for (const v of violations) console.error(formatViolation(v));
  if (violations.length > 0) {
    const files = new Set(violations.map((v) => v.file)).size;
    console.error(
      `check-layers: ${violations.length} violation(s) in ${files} of ${fileCount} file(s)`,
    );
    return 1;
  }
  console.log(`check-layers: ${fileCount} file(s) checked, no violations`);
  return 0;
}

const invoked = process.argv[1] && realpathSync(process.argv[1]);
if (invoked === fileURLToPath(import.meta.url)) process.exitCode = main();
