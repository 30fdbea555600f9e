/**
 * One file read as lines through a reused buffer: the reading core shared by the
 * file sources. Knows byte offsets (for positions and origins), decodes only whole
 * lines, and in follow mode keeps a trailing partial line back until its newline
 * arrives, notices truncation and replacement (rotation) of the file at its path.
 */
import { type FileHandle, open, stat } from "node:fs/promises";
import { FileSourceError } from "./errors.js";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** What `checkReplaced` found about the file at the path. */
export type FileChange = "same" | "truncated" | "replaced" | "missing";

/**
 * `buffer[start, end)` holds bytes read but not yet consumed; `buffer[0]` is at file
 * offset `bufferOffset`.
 */
export class LineFile {
  readonly path: string;
  #handle: FileHandle | null;
  #inode: number;
  #buffer: Buffer;
  #view: Buffer;
  #start = 0;
  #end = 0;
  #bufferOffset: number;
  #eof = false;
  readonly #follow: boolean;
  /** True once every line has been returned (never in follow mode), or after close. */
  done = false;

  private constructor(
    path: string,
    handle: FileHandle,
    inode: number,
    offset: number,
    chunkSize: number,
    follow: boolean,
  ) {
    this.path = path;
    this.#handle = handle;
    this.#inode = inode;
    this.#buffer = Buffer.allocUnsafe(chunkSize);
    this.#view = this.#buffer.subarray(0, 0);
    this.#bufferOffset = offset;
    this.#follow = follow;
  }

  /**
   * Opens `path` and seeks to `resume` (a byte offset on a line boundary), or to 0.
   * Fails with a {@link FileSourceError} naming the path when the file is missing,
   * not a regular file, or the offset does not fit it.
   */
  static async open(
    path: string,
    resume: unknown,
    chunkSize: number,
    follow = false,
  ): Promise<LineFile> {
    const handle = await openHandle(path);
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new FileSourceError(path, "is not a regular file");
      const offset = resume === undefined ? 0 : resume;
      if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
        throw new FileSourceError(
          path,
          `invalid resume position ${JSON.stringify(offset)}: expected a byte offset (an integer >= 0)`,
        );
      }
      if (offset > info.size) {
        throw new FileSourceError(
          path,
          `resume position ${offset} lies beyond the end of the file (${info.size} bytes): ` +
            "the file was truncated or replaced since the checkpoint",
        );
      }
      if (offset > 0 && offset < info.size) {
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, offset - 1);
        if (byte[0] !== NEWLINE) {
          throw new FileSourceError(
            path,
            `resume position ${offset} is not at the start of a line: the file changed since ` +
              "the checkpoint",
          );
        }
      }
      return new LineFile(path, handle, info.ino, offset, chunkSize, follow);
    } catch (error) {
      await handle.close();
      if (error instanceof FileSourceError) throw error;
      throw new FileSourceError(path, "cannot read it", { cause: error });
    }
  }

  /** Byte offset just after the last line returned. */
  get position(): number {
    return this.#bufferOffset + this.#start;
  }

  /** The inode of the open file (to tell a replaced file from the same one). */
  get inode(): number {
    return this.#inode;
  }

  /**
   * Appends up to `max` non-blank lines to `lines` (and the byte offset where each
   * starts to `offsets`, when given); returns how many. Fewer only at the end of the
   * file: then `done` is true, except in follow mode, where a last line without its
   * newline is kept back until the newline arrives (or the file is finished with
   * {@link finish}).
   */
  async readLines(max: number, lines: string[], offsets?: number[]): Promise<number> {
    const before = lines.length;
    if (this.#follow) this.#eof = false;
    while (lines.length - before < max) {
      const view = this.#view;
      const start = this.#start;
      const newline = view.indexOf(NEWLINE, start);
      if (newline !== -1) {
        this.#take(lines, offsets, start, newline);
        this.#start = newline + 1;
        continue;
      }
      if (this.#eof) {
        if (this.#follow) break;
        if (start < this.#end) this.#take(lines, offsets, start, this.#end);
        this.#start = this.#end;
        this.done = true;
        await this.close();
        break;
      }
      await this.#fill();
    }
    return lines.length - before;
  }

  /**
   * Follow mode, once the file will not grow any more (it was replaced): reads what
   * is left and returns a last line without a newline too.
   */
  async finish(lines: string[], offsets?: number[]): Promise<void> {
    for (;;) {
      const n = await this.readLines(Number.MAX_SAFE_INTEGER, lines, offsets);
      if (n === 0) break;
    }
    if (this.#start < this.#end) this.#take(lines, offsets, this.#start, this.#end);
    this.#start = this.#end;
  }

  /**
   * Follow mode: compares the open file with what is at its path now. `truncated`:
   * the same file, shorter than what was read (it was emptied, `copytruncate`);
   * `replaced`: another file is at the path (rotation); `missing`: nothing is.
   */
  async checkReplaced(): Promise<FileChange> {
    const handle = this.#handle;
    if (handle === null) return "same";
    let atPath: Awaited<ReturnType<typeof stat>>;
    try {
      atPath = await stat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
      throw new FileSourceError(this.path, "cannot check it", { cause: error });
    }
    if (atPath.ino !== this.#inode) return "replaced";
    const own = await handle.stat();
    return own.size < this.#bufferOffset + this.#end ? "truncated" : "same";
  }

  /** Starts over at offset 0 of the file now at the path (after truncation or rotation). */
  async reopen(): Promise<void> {
    const handle = await openHandle(this.path);
    let inode: number;
    try {
      inode = (await handle.stat()).ino;
    } catch (error) {
      await handle.close();
      throw new FileSourceError(this.path, "cannot read it", { cause: error });
    }
    const old = this.#handle;
    this.#handle = handle;
    this.#inode = inode;
    this.#bufferOffset = 0;
    this.#start = 0;
    this.#end = 0;
    this.#view = this.#buffer.subarray(0, 0);
    this.#eof = false;
    this.done = false;
    if (old !== null) await old.close().catch(() => undefined);
  }

  /** Pushes `view[from, to)` as a line unless it is blank; strips `\r` and a leading BOM. */
  #take(lines: string[], offsets: number[] | undefined, from: number, to: number): void {
    const view = this.#view;
    const lineStart = this.#bufferOffset + from;
    if (to > from && view[to - 1] === CARRIAGE_RETURN) to--;
    if (
      from === 0 &&
      this.#bufferOffset === 0 &&
      to >= 3 &&
      view[0] === 0xef &&
      view[1] === 0xbb &&
      view[2] === 0xbf
    ) {
      from = 3;
    }
    let i = from;
    while (i < to) {
      const byte = view[i];
      if (byte !== SPACE && byte !== TAB && byte !== CARRIAGE_RETURN) break;
      i++;
    }
    if (i < to) {
      lines.push(view.toString("utf8", from, to));
      offsets?.push(lineStart);
    }
  }

  /** Moves the unconsumed tail to the front (growing the buffer if it is full) and reads more. */
  async #fill(): Promise<void> {
    const handle = this.#handle;
    if (handle === null) throw new FileSourceError(this.path, "read after close");
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#bufferOffset += this.#start;
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(this.#buffer.length * 2);
      this.#buffer.copy(bigger, 0, 0, this.#end);
      this.#buffer = bigger;
    }
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(
        this.#buffer,
        this.#end,
        this.#buffer.length - this.#end,
        this.#bufferOffset + this.#end,
      ));
    } catch (error) {
      throw new FileSourceError(
        this.path,
        `read failed at byte ${this.#bufferOffset + this.#end}`,
        {
          cause: error,
        },
      );
    }
    if (bytesRead === 0) this.#eof = true;
    this.#end += bytesRead;
    this.#view = this.#buffer.subarray(0, this.#end);
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.done = true;
    if (handle !== null) await handle.close();
  }
}

async function openHandle(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : `cannot open it (${code ?? error})`;
    throw new FileSourceError(path, why, { cause: error });
  }
}
