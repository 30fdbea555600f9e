/**
 * A small seeded pseudo-random number generator (sfc32) for the simulator: the same
 * seed gives the same sequence on every machine and Node version, which `Math.random`
 * does not. Independent streams (`fork`) keep one concern's draws (faults, jitter)
 * from shifting another's (signal noise).
 */

/** Hashes a string to a 32-bit seed word (FNV-1a, then murmur3's finaliser). */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A seeded generator. Not for cryptography. `next()` is uniform in [0, 1) with 32
 * bits of resolution; every other draw is built from it, so a sequence is fully
 * determined by the seed and the order of calls.
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare = Number.NaN;
  readonly #seedText: string;

  /** `seed`: any integer or string; the same seed gives the same sequence. */
  constructor(seed: number | string) {
    const text = typeof seed === "number" ? `n:${seed}` : `s:${seed}`;
    this.#seedText = text;
    this.#a = hashString(`${text}#a`);
    this.#b = hashString(`${text}#b`);
    this.#c = hashString(`${text}#c`);
    this.#d = 1;
    for (let i = 0; i < 15; i++) this.#u32();
  }

  #u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.#u32() / 4294967296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** −1 or +1 with equal probability. */
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const v = this.#spare;
      this.#spare = Number.NaN;
      return v;
    }
    let u = this.next();
    while (u === 0) u = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.next();
    this.#spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** An exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A Poisson draw with mean `lambda` (inversion for small means, normal approximation above 50). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * this.normal()));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /**
   * An independent generator for `label`, derived from this one's seed only: the
   * same seed and label give the same stream whenever `fork` is called, and this
   * generator does not advance.
   */
  fork(label: string): Prng {
    return new Prng(`${this.#seedText}/${label}`);
  }
}
