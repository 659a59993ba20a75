/** Counts in messages and views, written the same everywhere: thousands separated, the noun agreeing. */

/** `n` with thousands separators: 4,584. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** `n` with its noun in the singular or the plural: "1 repeated fault", "4,584 lines". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
