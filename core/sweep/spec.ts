import { BadInputError } from '../errors.js';
import { DECIMAL, pastBound } from '../number-text.js';

/** A value a swept field takes: a number, or a word for an enum field, or a boolean. */
export type SweepValue = number | string | boolean;

/** At most this many values per parameter: a typo such as 1..1e9 should not allocate a billion. */
export const MAX_VALUES = 10_000;

/**
 * Spaced values are rounded to this many significant digits, so that 0.1..0.9:lin:5 gives 0.7 and
 * not 0.7000000000000001, and a log grid prints as 106.874, not with seventeen digits.
 */
const DIGITS = 6;


/**
 * Parses a parameter's value spec:
 * - `a..b:log:N` — N values from a to b, evenly spaced in log (a, b > 0);
 * - `a..b:lin:N` — N values from a to b, evenly spaced;
 * - `a..b`       — the integers from a to b;
 * - `a,b,c`      — exactly these (numbers, `true`/`false`, or words for an enum field); one value fixes the field.
 * Spaced values keep 6 significant digits; both ends are exact. Values must be distinct.
 */
export function parseValueSpec(spec: string): SweepValue[] {
  if (typeof spec !== 'string') throw new BadInputError(`parseValueSpec: spec must be a string such as "1..8" or "a,b,c", got ${spec === null ? 'null' : typeof spec}`);
  const text = unspaced(spec);
  if (text === '') throw new BadInputError('empty value spec');
  const range = /^([^,]*?)\.\.([^,:]*)(?::(\w*)(?::(.*))?)?$/.exec(text);
  const values = range ? parseRange(range[1], range[2], range[3], range[4]) : parseList(text);
  if (values.length > MAX_VALUES) throw new BadInputError(`${values.length} values, more than the ${MAX_VALUES} a parameter may take`);
  const seen = new Set<string>();
  for (const v of values) {
    const key = `${typeof v}:${String(v)}`;
    if (seen.has(key)) throw new BadInputError(`value ${String(v)} is given twice${range ? ` (after rounding to ${DIGITS} significant digits)` : ''}`);
    seen.add(key);
  }
  return values;
}

/**
 * A spec as a sweep records it: no space around its `,`, `..` and `:`, nor at its ends, and each
 * number in its shortest form (1e2 and 100.0 as 100). The spec is part of the sweep's definition,
 * which `sweep merge` compares: shards run with 'tasksPerVcpu=1,2' and 'tasksPerVcpu= 1, 2.0'
 * are one grid and must merge. No item of a spec holds a space (numbers, true/false, plain
 * words), so only the spelling changes; a number too large to be finite is left as written.
 */
export function canonicalSpec(spec: string): string {
  return unspaced(spec)
    .split(/(,|\.\.|:)/)
    .map((item) => (DECIMAL.test(item) && Number.isFinite(Number(item)) ? String(Number(item)) : item))
    .join('');
}

/** The spec without spaces around its `,`, `..` and `:`: "1 .. 10 : log : 3" is "1..10:log:3". */
function unspaced(spec: string): string {
  return spec.trim().replace(/\s*(,|\.\.|:)\s*/g, '$1');
}

function parseRange(aText: string, bText: string, scale: string | undefined, nText: string | undefined): number[] {
  const a = number(aText, 'range start');
  const b = number(bText, 'range end');
  if (scale === undefined) {
    if (!Number.isInteger(a) || !Number.isInteger(b)) throw new BadInputError('a..b counts whole numbers: give integers, or a..b:lin:N for evenly spaced values');
    if (a > b) throw new BadInputError(`range ${a}..${b} runs backwards: give the smaller end first`);
    if (b - a + 1 > MAX_VALUES) throw new BadInputError(`${b - a + 1} values, more than the ${MAX_VALUES} a parameter may take`);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  if (scale !== 'log' && scale !== 'lin') throw new BadInputError(`unknown spacing "${scale}": expected log or lin (a..b:log:N, a..b:lin:N)`);
  // An N past the bound in any form (1e308) is refused for that, not for not being written as digits.
  if (nText !== undefined && pastBound(nText, MAX_VALUES)) throw new BadInputError(`${nText} values, more than the ${MAX_VALUES} a parameter may take`);
  if (nText === undefined || !/^\d+$/.test(nText)) throw new BadInputError(`a..b:${scale}:N needs N, a whole number of values, got ${JSON.stringify(nText ?? '')}`);
  const n = Number(nText);
  if (n < 2) throw new BadInputError(`a..b:${scale}:N needs N of at least 2 (both ends), got ${n}`);
  if (n > MAX_VALUES) throw new BadInputError(`${n} values, more than the ${MAX_VALUES} a parameter may take`);
  if (a >= b) throw new BadInputError(`range ${a}..${b} must go from the smaller to the larger value`);
  if (scale === 'log' && a <= 0) throw new BadInputError(`a log range needs a start above 0, got ${a}`);
  const at = (i: number) =>
    scale === 'log' ? a * Math.pow(b / a, i / (n - 1)) : a + ((b - a) * i) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === 0 ? a : i === n - 1 ? b : Number(at(i).toPrecision(DIGITS))));
}

function parseList(text: string): SweepValue[] {
  return text.split(',').map((item) => {
    const t = item.trim();
    if (t === '') throw new BadInputError(`empty value in list ${JSON.stringify(text)}`);
    if (t === 'true' || t === 'false') return t === 'true';
    if (DECIMAL.test(t)) return number(t, 'value');
    // Words to the pattern below, but meant as numbers: refused as 1e400 is, not passed on as an enum word.
    if (/^[+-]?(nan|inf|infinity)$/i.test(t)) throw new BadInputError(`value ${JSON.stringify(t)} is not a finite number`);
    if (/^[+-]?\d|^[.]/.test(t)) throw new BadInputError(`${JSON.stringify(t)} is not a number`);
    if (!/^[\w.-]+$/.test(t)) throw new BadInputError(`${JSON.stringify(t)} is not a number or a plain word`);
    return t;
  });
}

function number(text: string, what: string): number {
  const t = text.trim();
  const x = DECIMAL.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(x)) throw new BadInputError(`${what} ${JSON.stringify(t)} is not a finite number`);
  return x;
}
