/**
 * Tests of CSV rows: splitting with quotes, the header checks, and typed JSON objects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CsvHeader, splitCsvLine } from "./csv-row.js";

function header(line: string): CsvHeader {
  const parsed = CsvHeader.parse(line);
  assert.ok(parsed.ok);
  return parsed.header;
}

describe("splitCsvLine", () => {
  it("splits on the delimiter with quoted fields, doubled quotes and empty fields", () => {
    const split = splitCsvLine('a,"b,c","say ""x""",,""');
    assert.ok(split.ok);
    assert.deepEqual(
      split.fields.map((f) => [f.text, f.quoted]),
      [
        ["a", false],
        ["b,c", true],
        ['say "x"', true],
        ["", false],
        ["", true],
      ],
    );
  });

  it("reports an unterminated quote and text after a closing quote", () => {
    assert.deepEqual(splitCsvLine('a,"b'), { ok: false, error: "unterminated quote in field 2" });
    assert.deepEqual(splitCsvLine('"a"b,c'), {
      ok: false,
      error: "text after the closing quote of field 1",
    });
  });

  it("accepts a multi-character delimiter", () => {
    const split = splitCsvLine("1||2||3", "||");
    assert.ok(split.ok);
    assert.deepEqual(
      split.fields.map((f) => f.text),
      ["1", "2", "3"],
    );
  });
});

describe("CsvHeader", () => {
  it("refuses empty and repeated column names", () => {
    assert.deepEqual(CsvHeader.parse("a,,b"), {
      ok: false,
      error: "CSV header column 2 has no name",
    });
    assert.deepEqual(CsvHeader.parse("a, b ,b"), {
      ok: false,
      error: 'CSV header names column "b" twice',
    });
  });

  it("types unquoted JSON numbers, keeps quoted text and leaves empty fields out", () => {
    const h = header(" sensor_id , value,flag,code,empty");
    assert.equal(
      h.toJson('T-1, 1.5e3 ,true,"042",'),
      '{"sensor_id":"T-1","value":1500,"flag":"true","code":"042"}',
    );
    assert.equal(
      h.toJson("x,-0.25,0x10,01, "),
      '{"sensor_id":"x","value":-0.25,"flag":"0x10","code":"01"}',
    );
  });

  it("returns null for a row that does not fit the header", () => {
    const h = header("a,b");
    assert.equal(h.toJson("1"), null);
    assert.equal(h.toJson("1,2,3"), null);
    assert.equal(h.toJson('"1,2'), null);
  });

  it("keeps a column named __proto__ as data", () => {
    assert.equal(header("__proto__,a").toJson("1,2"), '{"__proto__":1,"a":2}');
  });
});
