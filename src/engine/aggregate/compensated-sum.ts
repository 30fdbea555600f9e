/**
 * Compensated (Neumaier) summation shared by `sum` and `avg`. A plain running sum
 * loses the low bits of small values added to a large total, and the loss depends on
 * the order of the additions, so a window merged from panes would differ from the same
 * records added one by one. Carrying the rounding error in `compensation` keeps the
 * result within about one rounding of the exact sum regardless of order or splitting.
 */

/** A running sum and the rounding error it has accumulated. The value is `sum + compensation`. */
export interface CompensatedSum {
  sum: number;
  compensation: number;
}

/** Adds `value` (finite) to `acc` in place. */
export function addCompensated(acc: CompensatedSum, value: number): void {
  const sum = acc.sum;
  const total = sum + value;
  if (Math.abs(sum) >= Math.abs(value)) {
    acc.compensation += sum - total + value;
  } else {
    acc.compensation += value - total + sum;
  }
  acc.sum = total;
}

/** Adds the whole of `from` to `into` in place; `from` is not changed. */
export function mergeCompensated(into: CompensatedSum, from: CompensatedSum): void {
  addCompensated(into, from.sum);
  into.compensation += from.compensation;
}

/** The value of `acc`: `sum + compensation`, or the overflowed `sum` if it reached ±Infinity. */
export function compensatedValue(acc: CompensatedSum): number {
  const sum = acc.sum;
  return Number.isFinite(sum) ? sum + acc.compensation : sum;
}

// The same on numbers in place: the sum at `a[i]`, its compensation at `a[i + 1]`.

/** `addCompensated` on the sum at `a[i]`. */
export function addCompensatedAt(a: number[], i: number, value: number): void {
  const sum = a[i]!;
  const total = sum + value;
  if (Math.abs(sum) >= Math.abs(value)) {
    a[i + 1] = a[i + 1]! + (sum - total + value);
  } else {
    a[i + 1] = a[i + 1]! + (value - total + sum);
  }
  a[i] = total;
}

/** `mergeCompensated` of the sum at `f[fi]` into the one at `a[i]`. */
export function mergeCompensatedAt(a: number[], i: number, f: readonly number[], fi: number): void {
  addCompensatedAt(a, i, f[fi]!);
  a[i + 1] = a[i + 1]! + f[fi + 1]!;
}

/** `compensatedValue` of the sum at `a[i]`. */
export function compensatedValueAt(a: readonly number[], i: number): number {
  const sum = a[i]!;
  return Number.isFinite(sum) ? sum + a[i + 1]! : sum;
}
