import { NOT_PRINTABLE } from '../core/printable.js';

/** Where a command writes: injected so that tests run commands in-process. */
export interface Io {
  out(text: string): void;
  /**
   * A large output in pieces, each made only when it is taken (a million-line trace, its JSON): they
   * are written one after another, never joined into one string. Where absent (a test's in-process
   * Io), writeOut() joins them and calls out().
   */
  readonly outPieces?: (pieces: Iterable<string>) => void;
  err(text: string): void;
  /** Progress of a long run (simulated ns reached, latest end); only set where stderr is a terminal. */
  readonly progress?: (doneNs: number, totalNs: number) => void;
  /** Progress of long work that is not a simulated run (`check`'s walk), as one line; only where stderr is a terminal. */
  readonly status?: (text: string) => void;
  /** Set when the user pressed Ctrl-C: a run stops at its next progress check. */
  readonly signal?: { readonly aborted: boolean };
}

/** What a command printed, in order: a text, or pieces still to be made (Io.outPieces). */
export type OutEntry = string | Iterable<string>;

/** Prints `pieces` through `io`: as pieces where it takes them, else joined. */
export function writeOut(io: Io, pieces: Iterable<string>): void {
  if (io.outPieces) io.outPieces(pieces);
  else io.out([...pieces].join(''));
}

/**
 * Hands what a command printed to `io`, in order. The texts between two outputs in pieces are
 * joined into one out(), and a command that printed nothing calls out('') once, as runCli() did
 * with its one joined buffer.
 */
export function flushOut(io: Io, entries: readonly OutEntry[]): void {
  let text: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      text.push(entry);
      continue;
    }
    if (text.length > 0) io.out(text.join(''));
    text = [];
    writeOut(io, entry);
  }
  if (text.length > 0 || entries.length === 0) io.out(text.join(''));
}

/** A malformed command line: exit code 2, with usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * yargs' messages in the words of this CLI, on one line: "Not enough arguments following: seed",
 * "Unknown argument: baseline" (for `--no-baseline`), and "Invalid values:" with an indented line
 * per argument, which oneLine() would print as a literal "\n". `argv` is the command line, to name
 * an unknown argument as it was typed.
 */
export function plainUsage(msg: string, argv: readonly string[] = []): string {
  const m = /^Not enough arguments following: (.+)$/.exec(msg);
  if (m) return `${m[1].length === 1 ? '-' : '--'}${m[1]} needs a value`;
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown) {
    // yargs names a dashed option twice, as typed and camel-cased (`--foo-bar, fooBar`): once here.
    const names = unknown[1].split(', ');
    // yargs's camel-case of a dashed name (yargs-parser camelCase(): a name all in one case is
    // lower-cased first): `foo-bar`, `foo-Bar` and `FOO-BAR` all give `fooBar`.
    const camel = (n: string) => {
      const base = n !== n.toLowerCase() && n !== n.toUpperCase() ? n : n.toLowerCase();
      return base.replace(/[-_]+(.)/g, (_, c: string) => c.toUpperCase());
    };
    const once = names.filter((n) => n.includes('-') || !names.some((m) => m !== n && m.includes('-') && camel(m) === n));
    return `Unknown argument${once.length === 1 ? '' : 's'}: ${once.map((name) => asTyped(name, argv)).join(', ')}`;
  }
  if (msg.startsWith('Invalid values:')) {
    const each = [...msg.matchAll(/^\s*Argument: (.+?), Given: (.+?), Choices: (.+)$/gm)].map(
      ([, name, given, choices]) => `${name.length === 1 ? '-' : '--'}${name} must be one of ${choices.replace(/"/g, '')}, got ${given}`,
    );
    if (each.length > 0) return each.join('; ');
  }
  return msg.replace(/\s*\n\s*/g, ' ');
}

/**
 * An argument yargs names bare, as the user typed it: `--frobnicate`, `-q`, `--no-baseline` (yargs
 * strips the negation and said "baseline", an option report does not even have), or a stray word.
 */
function asTyped(name: string, argv: readonly string[]): string {
  const flags = argv.map((a) => a.split('=')[0]);
  return [`--${name}`, `--no-${name}`, `-${name}`].find((f) => flags.includes(f)) ?? name;
}

/**
 * An option as the user may have typed it, from any of its names (yargs keys a value under each):
 * `-s/--scenario`, `--seed`, `-x` (as --help lists them).
 */
export function optionName(given: string, aliases: Readonly<Record<string, readonly string[]>>): string {
  // The options are declared kebab-case; yargs adds the camelCase key (durationMs) itself.
  const key = given.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const primary = Object.hasOwn(aliases, key) ? key : (Object.keys(aliases).find((p) => aliases[p].includes(key)) ?? key);
  const names = [primary, ...(Object.hasOwn(aliases, primary) ? aliases[primary] : [])];
  const short = names.find((n) => n.length === 1);
  const long = names.find((n) => n.length > 1);
  return [short && `-${short}`, long && `--${long}`].filter(Boolean).join('/');
}

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;
/** `apf-lab check` found an order that breaks something (its report is printed all the same). */
export const EXIT_CHECK_FOUND = 4;

/** Thrown by a command after it printed its report, to end with `code` rather than 0. */
export class ExitWith extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'ExitWith';
  }
}
/** 128 + SIGINT, what a shell reports for a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;
export const INTERRUPTED_LINE = 'apf-lab: interrupted; nothing was written\n';

/**
 * Makes a message safe to print as one line: control characters (a newline in a variant name or
 * a file name, an escape sequence) are shown escaped instead of acting on the terminal.
 */
export function oneLine(text: string): string {
  return text.replace(NOT_PRINTABLE, escapeChar);
}

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT_ESCAPES[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}
