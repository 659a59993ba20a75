/** Number formatting for terminal views: fixed decimals, thousands separators, units in the label. */
import { decimal } from '../../core/decimal.js';

export { count, plural } from '../../core/plural.js';

export function fixed(x: number, digits: number): string {
  return decimal(x, digits, digits);
}


export function pct(part: number, whole: number): string {
  return whole > 0 ? `${fixed((100 * part) / whole, 1)}%` : '—';
}

export function ms(ns: number): string {
  return fixed(ns / 1e6, 3);
}

export function humanNs(ns: number): string {
  if (ns >= 1e9) return `${fixed(ns / 1e9, 3)} s`;
  if (ns >= 1e6) return `${fixed(ns / 1e6, 3)} ms`;
  if (ns >= 1e3) return `${fixed(ns / 1e3, 1)} µs`;
  return `${ns} ns`;
}

export function mib(pages: number): string {
  return pages >= 1024 ? `${fixed(pages / 1024, pages % 1024 ? 1 : 0)} GiB` : `${pages} MiB`;
}

/**
 * Rows as aligned lines, two spaces between columns; a column marked in `right` is aligned to the
 * right (numbers), the others to the left.
 */
export function alignColumns(rows: readonly (readonly string[])[], right: readonly boolean[] = []): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) => r.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}
