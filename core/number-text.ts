/**
 * A decimal number as a user writes one in a flag or a value spec: a sign, digits, a fraction, an
 * exponent (2.5, .5, 1e308).
 */
export const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * Is `text` a number, in any decimal form, above `max`? A count past its bound is refused for that,
 * before any complaint about its form: "must be a whole number" is untrue of 1e308.
 */
export function pastBound(text: string, max: number): boolean {
  return DECIMAL.test(text) && Number(text) > max;
}
