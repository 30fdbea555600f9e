import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CsvSyntaxError, parseCsv } from "./parse-csv.js";

describe("parseCsv", () => {
  it("reads quoted cells, doubled quotes, line breaks in quotes and CRLF", () => {
    const rows = parseCsv('\ufeffa, b\r\n"x,1","say ""hi"""\r\n\r\n"two\nlines",\n');
    assert.deepEqual(rows, [
      { line: 2, cells: { a: "x,1", b: 'say "hi"' } },
      { line: 4, cells: { a: "two\nlines", b: "" } },
    ]);
  });

  it("rejects ragged rows and unclosed quotes with the line", () => {
    assert.throws(
      () => parseCsv("a,b\n1,2\n3\n"),
      (e: unknown) => e instanceof CsvSyntaxError && e.line === 3,
    );
    assert.throws(() => parseCsv('a\n"open\n'), /line 2: a quoted cell is not closed/);
  });
});
