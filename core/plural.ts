/** Counts in messages and views, written the same everywhere: thousands separated, the noun agreeing. */
import { decimal } from './decimal.js';

/** `n` with thousands separators: 4,584 (as toLocaleString('en-US'): up to three decimals). */
export function count(n: number): string {
  return decimal(n, 0, 3);
}

/** `n` with its noun in the singular or the plural: "1 repeated fault", "4,584 lines". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
