/**
 * File name patterns for the file source (Node 20 has no `fs.glob`): `*` matches any
 * run of characters within one path segment, `?` one character, and a whole segment
 * `**` any number of folders (none included). Nothing else is special. Like a shell,
 * `*` and `?` do not match a leading dot unless the pattern segment starts with one.
 */
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { FileSourceError } from "./errors.js";

/** True when `pattern` contains `*` or `?`. */
export function isGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

/**
 * The files each pattern names, in one sorted list without repeats. A pattern without
 * `*` or `?` is a file name and is kept as is (a missing file is reported when it is
 * opened). A pattern that matches no regular file fails with a
 * {@link FileSourceError} naming it, as does a folder that cannot be listed.
 * Relative patterns are relative to the working directory.
 */
export async function expandFileGlobs(patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    if (!isGlob(pattern)) {
      found.add(pattern);
      continue;
    }
    const absolute = path.resolve(pattern);
    const { root } = path.parse(absolute);
    const segments = absolute
      .slice(root.length)
      .split(path.sep)
      .filter((s) => s !== "");
    let fixed = 0;
    while (fixed < segments.length && !isGlob(segments[fixed]!)) fixed++;
    const base = path.join(root, ...segments.slice(0, fixed));
    const matches: string[] = [];
    await walk(base, segments.slice(fixed).map(compileSegment), 0, matches, pattern);
    if (matches.length === 0) throw new FileSourceError(pattern, "matches no file");
    for (const match of matches) found.add(match);
  }
  return [...found].sort();
}

type Segment = { readonly kind: "any-depth" } | { readonly kind: "name"; readonly re: RegExp };

function compileSegment(segment: string): Segment {
  if (segment === "**") return { kind: "any-depth" };
  let source = "";
  for (const ch of segment) {
    if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  const dotOk = segment.startsWith(".");
  return { kind: "name", re: new RegExp(dotOk ? `^${source}$` : `^(?!\\.)${source}$`) };
}

async function walk(
  dir: string,
  segments: readonly Segment[],
  at: number,
  out: string[],
  pattern: string,
): Promise<void> {
  const segment = segments[at];
  if (segment === undefined) return;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return;
    throw new FileSourceError(pattern, `cannot list ${dir} (${code ?? error})`, { cause: error });
  }
  const last = at === segments.length - 1;
  if (segment.kind === "any-depth") {
    // `**` matching no folder: the next segment applies here.
    if (!last) await walk(dir, segments, at + 1, out, pattern);
    for (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full, segments, at, out, pattern);
      else if (last && (await isFile(full, entry))) out.push(full);
    }
    return;
  }
  for (const entry of entries) {
    if (!segment.re.test(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (last) {
      if (await isFile(full, entry)) out.push(full);
    } else if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(full)))) {
      await walk(full, segments, at + 1, out, pattern);
    }
  }
}

async function isFile(full: string, entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  return stat(full).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function isDirectory(full: string): Promise<boolean> {
  return stat(full).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
