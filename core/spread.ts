/**
 * How a figure over several seeds is summarised everywhere it is printed (`reproduce`, `sweep`):
 * mean, min and max, each rounded to the places its unit is printed with, so that two commands
 * given the same values print the same spread.
 */
export interface Spread {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** `x` to `places` decimal places (run metrics use 3; ratios 4, so that +0.12 % still shows). */
export function roundTo(x: number, places: number): number {
  const scale = 10 ** places;
  return Math.round(x * scale) / scale;
}

/** Mean, min and max of `xs` (at least one value), each rounded to `places`. */
export function spread(xs: readonly number[], places: number): Spread {
  let total = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    total += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return { mean: roundTo(total / xs.length, places), min: roundTo(min, places), max: roundTo(max, places) };
}
