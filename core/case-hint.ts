/**
 * The known names that one of `given` differs from only in case, as a hint for an error message:
 * ` (did you mean x86? ${why})`, or '' where there is none. Names are matched exactly (variant ids,
 * scenario names, step kinds), and a capital letter is the usual slip.
 */
export function caseHint(given: readonly string[], known: readonly string[], why: string): string {
  const meant = known.filter((k) => given.some((g) => g.toLowerCase() === k.toLowerCase()));
  return meant.length > 0 ? ` (did you mean ${meant.join(' or ')}? ${why})` : '';
}
