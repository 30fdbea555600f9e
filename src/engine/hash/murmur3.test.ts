/** Tests of the MurmurHash3 implementation against published vectors and a byte-wise reference. */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, it } from "node:test";
import fc from "fast-check";
import { murmur3Number, murmur3String } from "./murmur3.js";

/** Textbook MurmurHash3_x86_32 over bytes, to check the code-unit version against. */
function reference(bytes: Uint8Array, seed: number): number {
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  const mixKey = (k: number) => Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
  let h = seed | 0;
  const blocks = bytes.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h = (Math.imul(rotl(h ^ mixKey(k), 13), 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const tail = bytes.length & 3;
  if (tail >= 3) k ^= bytes[blocks + 2]! << 16;
  if (tail >= 2) k ^= bytes[blocks + 1]! << 8;
  if (tail >= 1) h ^= mixKey(k ^ bytes[blocks]!);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe("murmur3", () => {
  it("the reference matches published MurmurHash3_x86_32 vectors", () => {
    const ascii = (s: string) => Buffer.from(s, "latin1");
    assert.equal(reference(ascii(""), 0), 0);
    assert.equal(reference(ascii(""), 1), 0x514e28b7);
    assert.equal(reference(ascii(""), 0xffffffff), 0x81f16f39);
    assert.equal(reference(ascii("\0\0\0\0"), 0), 0x2362f9de);
    assert.equal(reference(ascii("aaaa"), 0x9747b28c), 0x5a97808a);
    assert.equal(reference(ascii("Hello, world!"), 0x9747b28c), 0x24884cba);
    assert.equal(
      reference(ascii("The quick brown fox jumps over the lazy dog"), 0x9747b28c),
      0x2fa826cd,
    );
  });

  it("hashes a string as the UTF-16LE bytes of its code units", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.integer(), (text, seed) => {
        assert.equal(murmur3String(text, seed), reference(Buffer.from(text, "utf16le"), seed));
      }),
    );
  });

  it("hashes a number as its 8 little-endian IEEE-754 bytes, with -0 as 0", () => {
    fc.assert(
      fc.property(fc.double(), fc.integer(), (value, seed) => {
        const bytes = Buffer.alloc(8);
        bytes.writeDoubleLE(value === 0 ? 0 : value);
        assert.equal(murmur3Number(value, seed), reference(bytes, seed));
      }),
    );
    assert.equal(murmur3Number(-0), murmur3Number(0));
  });

  it("gives numbers and their string forms different hashes by default", () => {
    assert.notEqual(murmur3Number(1), murmur3String("1"));
  });
});
