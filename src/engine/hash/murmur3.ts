/**
 * MurmurHash3 (x86, 32-bit) for key partitioning and `approxDistinctCount`, written out so the
 * engine needs no hashing package and so the hash — and therefore HyperLogLog
 * snapshots — is identical on every machine and Node version.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Seed for string keys; numbers use another so a number and a string never share a hash family. */
const STRING_SEED = 0;
const NUMBER_SEED = 0x9747b28c;

const float64 = new Float64Array(1);
const words = new Uint32Array(float64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOW = littleEndian ? 0 : 1;
const HIGH = 1 - LOW;

function mixKey(k: number): number {
  const a = Math.imul(k, C1);
  return Math.imul((a << 15) | (a >>> 17), C2);
}

function mixHash(h: number, k: number): number {
  const a = h ^ mixKey(k);
  return (Math.imul((a << 13) | (a >>> 19), 5) + 0xe6546b64) | 0;
}

function finalize(h: number, byteLength: number): number {
  let a = h ^ byteLength;
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  a = Math.imul(a, 0xc2b2ae35);
  a ^= a >>> 16;
  return a >>> 0;
}

/**
 * MurmurHash3_x86_32 of the UTF-16LE bytes of `text` (two code units per 4-byte block),
 * as an unsigned 32-bit integer. Reads the string in place: no encoding, no allocation.
 */
export function murmur3String(text: string, seed: number = STRING_SEED): number {
  const length = text.length;
  const pairsEnd = length & ~1;
  let h = seed | 0;
  for (let i = 0; i < pairsEnd; i += 2) {
    h = mixHash(h, text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16));
  }
  if (pairsEnd < length) h ^= mixKey(text.charCodeAt(pairsEnd));
  return finalize(h, length * 2);
}

/**
 * MurmurHash3_x86_32 of the 8 little-endian IEEE-754 bytes of `value`, as an unsigned
 * 32-bit integer. `-0` hashes as `0`.
 */
export function murmur3Number(value: number, seed: number = NUMBER_SEED): number {
  float64[0] = value === 0 ? 0 : value;
  let h = seed | 0;
  h = mixHash(h, words[LOW]!);
  h = mixHash(h, words[HIGH]!);
  return finalize(h, 8);
}
