/**
 * Record memos: a record may carry, under the symbol `RECORD_MEMO`, an array shared by
 * every record of the same source entity (say, every reading of one sensor). Steps that
 * look something up per record by a property of that entity (their state entry for the
 * record's key, a key built from its fields) can remember the answer there, and find it
 * again with a few comparisons instead of a hash lookup that, over many keys, misses
 * the CPU caches.
 *
 * The memo is a list of pairs `[owner, value, owner, value, …]`, each owner (a step, a
 * function) using its own pair. A memo is only a hint: an owner must check that what it
 * finds still answers its question, and fall back to its own lookup when not. Being
 * keyed by a symbol, it is not part of the record's data: `JSON.stringify`,
 * `Object.keys` and structured cloning do not see it.
 */

/** The symbol under which a record carries its memo. */
export const RECORD_MEMO: unique symbol = Symbol("millstream.recordMemo");

/** A record memo: pairs of owner and value (see the module comment). */
export type RecordMemo = unknown[];

/** Anything that may carry a memo (`null`: a place for one, not filled yet). */
interface MemoCarrier {
  readonly [RECORD_MEMO]?: RecordMemo | null;
}

/** The memo `record` carries, or `undefined`. */
export function memoOf(record: unknown): RecordMemo | undefined {
  if (typeof record !== "object" || record === null) return undefined;
  return (record as MemoCarrier)[RECORD_MEMO] ?? undefined;
}

/**
 * Where `owner`'s value is in `memo` (the index after the owner), or -1. `hint` is where
 * it was in the previous memo the owner looked at: the records of every entity meet the
 * same steps in the same order, so their memos tend to have the same layout, and the
 * hint saves the search.
 */
export function memoIndex(memo: RecordMemo, owner: object, hint = 1): number {
  if (memo[hint - 1] === owner) return hint;
  for (let i = 0; i < memo.length; i += 2) if (memo[i] === owner) return i + 1;
  return -1;
}

/** Remembers `value` as `owner`'s in `memo`; returns its index there (a hint for `memoIndex`). */
export function remember(memo: RecordMemo, owner: object, value: unknown, hint = 1): number {
  const i = memoIndex(memo, owner, hint);
  if (i >= 0) {
    memo[i] = value;
    return i;
  }
  memo.push(owner, value);
  return memo.length - 1;
}
