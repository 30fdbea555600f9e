import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { truncatePayload } from "./truncate-payload.js";

describe("truncatePayload", () => {
  it("keeps a payload within the limit unchanged", () => {
    assert.equal(truncatePayload('{"a":1}'), '{"a":1}');
    assert.equal(truncatePayload(new TextEncoder().encode("héllo")), "héllo");
  });

  it("cuts to at most 4096 bytes by default", () => {
    const out = truncatePayload("x".repeat(10_000));
    assert.equal(out.length, 4096);
    assert.equal(out, "x".repeat(4096));
  });

  it("never splits a multi-byte character", () => {
    const out = truncatePayload(`a${"€".repeat(10)}`, 8); // a + 3-byte €s
    assert.equal(out, "a€€");
    assert.equal(Buffer.byteLength(out), 7);
    const bytes = new TextEncoder().encode("€€€");
    assert.equal(truncatePayload(bytes, 4), "€");
  });

  it("writes objects as JSON and survives cycles", () => {
    assert.equal(truncatePayload({ sensor_id: "s", v: [1, 2] }), '{"sensor_id":"s","v":[1,2]}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(truncatePayload(cyclic), "[object Object]");
  });
});
