/**
 * Characters that act on a terminal or on how it shows a line instead of being shown: C0 and C1
 * controls (escape sequences among them), the Unicode line and paragraph separators, the
 * bidirectional marks (the Arabic letter mark U+061C among them), overrides and isolates that
 * reorder what follows (CVE-2021-42574), and the invisible byte-order mark U+FEFF. The CLI
 * escapes them in what it prints (cli/io.ts oneLine()); a scenario refuses them in its names.
 */
const CLASS = '\\u0000-\\u001f\\u007f-\\u009f\\u061c\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff';

/** Any of them, for a global replace. */
export const NOT_PRINTABLE = new RegExp(`[${CLASS}]`, 'g');

/** Any of them, a newline and a tab left out: for text that may span lines. */
export const NOT_PRINTABLE_IN_TEXT = new RegExp(`(?![\\n\\t])[${CLASS}]`);
