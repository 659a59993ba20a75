#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Argv } from 'yargs';
import { BadInputError, InterruptedError } from '../core/errors.js';
import { labVersion } from './version.js';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, ExitWith, flushOut, INTERRUPTED_LINE, oneLine, optionName, plainUsage, UsageError, type Io, type OutEntry } from './io.js';

/** Flags that take no value: `--json=yes` is refused rather than read as false. */
const BOOLEAN_FLAGS = new Set(['json', 'baseline', 'allow-large', 'help', 'lab', 'version']);
/** Options that may be given more than once (positional lists and yargs' own bookkeeping). */
const MULTI = new Set(['_', '$0', 'variants', 'experiments', 'variant-file', 'variantFile', 'param', 'p', 'parts', 'files']);

/**
 * The apf-lab command line. Commands are registered one by one (STYLE.md §4); a handler
 * parses, calls the library, renders, prints. Exit codes: 0 ok, 1 bad input, 2 usage,
 * 4 `check` found a counterexample (its report is printed), 130 interrupted (Ctrl-C).
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  // Commands write into a buffer that is printed only once the command finished: nothing is
  // written half-way. An output in pieces (Io.outPieces) is kept as its maker, not made yet.
  const out: OutEntry[] = [];
  const buffered: Io = { out: (t) => void out.push(t), outPieces: (p) => void out.push(p), err: io.err, progress: io.progress, status: io.status, signal: io.signal };
  let cli: Argv | null = null;
  try {
    // Built first, so that a usage error of its flags shows the command's usage like any other;
    // with --help, the help wins (yargs prints it as it parses, and getHelp() would print it again).
    cli = await buildCli(argv, buffered);
    const options = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    if (!options.some(asksForHelp)) checkFlagValues(argv);
    let helpText = '';
    await cli.parseAsync([...argv], {}, (_e, _argv, output) => {
      helpText = output;
    });
    if (helpText) io.out(`${helpText}\n`);
    flushOut(io, out);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof ExitWith) {
      flushOut(io, out);
      return e.code;
    }
    return report(e, io, cli);
  }
}

const NO_COMMAND = 'name a command';

async function buildCli(argv: readonly string[], io: Io): Promise<Argv> {
  // Loaded here, not at the top: the process entry below only starts a worker and needs none of it.
  const [{ default: yargs }, { COMMANDS, namedCommand }] = await Promise.all([import('yargs'), import('./commands/table.js')]);
  const named = namedCommand(argv);
  const cli = yargs([...argv]).scriptName('apf-lab');
  for (const [name, entry] of Object.entries(COMMANDS)) {
    if (name === named) {
      const module = (await entry.load())(io, argv);
      // --version belongs to apf-lab itself, not to each command (`apf-lab run --version` is a usage error).
      const builder = module.builder as ((y: Argv) => Argv) | undefined;
      cli.command({ ...module, builder: (y: Argv) => (builder ? builder(y) : y).version(false) } as never);
    } else {
      // Only its line in the top-level help. yargs runs the first positional's command, which is
      // `named` unless an option's value before it is a command word (`--scenario list compare`).
      cli.command(entry.command, entry.describe, {}, () => {
        throw new UsageError(`put the command first: apf-lab ${name} …`);
      });
    }
  }
  return cli
    .demandCommand(1, NO_COMMAND)
    .check(typedValues)
    .check(singleValued)
    .strict()
    .help()
    .alias('h', 'help')
    .version(labVersion())
    .wrap(100)
    .exitProcess(false)
    .fail((msg, err) => {
      // yargs reports its own parse failures (a missing option value) as a YError: a usage error.
      if (err && err.name !== 'YError') throw err;
      // Thrown, not only recorded: yargs otherwise goes on to run the command's handler after an
      // unknown option, and `report` would write its files before the usage error.
      const text = msg ?? err?.message ?? 'bad command line';
      const missing = named === null ? undefined : COMMANDS[named].missing;
      // yargs takes a first word that is no command for a stray argument ("Unknown argument: frob").
      const first = argv[0];
      if (named === null && first !== undefined && !first.startsWith('-') && text.startsWith('Unknown argument')) {
        throw new UsageError(`unknown command ${first} (commands: ${Object.keys(COMMANDS).join(', ')})`);
      }
      // An option and no command (`apf-lab --versio`, `-v`): say which word was not understood.
      if (named === null && first !== undefined && first.startsWith('-') && text === NO_COMMAND) {
        throw new UsageError(`${NO_COMMAND} (commands: ${Object.keys(COMMANDS).join(', ')}); ${first} is not an option of apf-lab itself (those are --help and --version)`);
      }
      throw new UsageError(missing && text.startsWith('Not enough non-option arguments') ? missing : plainUsage(text, argv));
    });
}

async function usage(io: Io, cli: Argv | null, message: string): Promise<number> {
  // Before the command line is read there is no help to show: the message alone.
  io.err(`apf-lab: ${oneLine(message)}\n${cli ? `\n${await cli.getHelp()}\n` : ''}`);
  return EXIT_USAGE;
}

async function report(e: unknown, io: Io, cli: Argv | null): Promise<number> {
  if (e instanceof UsageError) return usage(io, cli, e.message);
  if (e instanceof InterruptedError) {
    io.err(INTERRUPTED_LINE);
    return EXIT_INTERRUPTED;
  }
  if (e instanceof BadInputError) {
    io.err(`apf-lab: ${oneLine(e.message)}\n`);
    return EXIT_BAD_INPUT;
  }
  io.err(`apf-lab: internal error: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
  return EXIT_INTERNAL;
}

/** What yargs takes for help: `--help` or `--help=true`, and `-h` alone or among short flags (`-hs x`). */
function asksForHelp(arg: string): boolean {
  return /^--help(=true)?$/.test(arg) || /^-[A-Za-z]*h[A-Za-z]*$/.test(arg);
}

/** yargs reads `--json=yes` as false; a flag takes no value, or an explicit true/false. */
function checkFlagValues(argv: readonly string[]): void {
  for (const arg of argv) {
    // yargs drops what follows `--` and a lone `-` from the positionals: refuse rather than ignore.
    if (arg === '--') throw new UsageError('"--" is not accepted: name variants and options directly');
    if (arg === '-') throw new UsageError('"-" is not accepted: name the variants or files directly (a file on standard input is /dev/stdin)');
    const m = /^--(no-)?([^=]+)=(.*)$/s.exec(arg);
    // yargs reads `--no-json=true` as an unknown option `--no-json`: the negated form takes no value.
    if (m && m[1] && BOOLEAN_FLAGS.has(m[2])) throw new UsageError(`--no-${m[2]} takes no value, got ${JSON.stringify(arg)}`);
    if (m && BOOLEAN_FLAGS.has(m[2]) && m[3] !== 'true' && m[3] !== 'false') {
      throw new UsageError(`--${m[2]} takes no value (or true or false), got ${JSON.stringify(arg)}`);
    }
  }
}

/**
 * yargs collects a repeated option into an array; for a single-valued one that is a mistake. The
 * array sits under each of the option's names (`s` and `scenario`, `duration-ms` and `durationMs`):
 * name it as the user may have typed it.
 */
function singleValued(args: Record<string, unknown>, options: { alias?: Record<string, string[]> }): true {
  for (const [key, value] of Object.entries(args)) {
    if (!MULTI.has(key) && Array.isArray(value)) throw new UsageError(`${optionName(key, options.alias ?? {})} was given more than once`);
  }
  return true;
}

/** What yargs tells a check of the options it declared. */
interface ParserOptions {
  alias?: Record<string, string[]>;
  boolean?: string[];
  /** The options declared, by their declared (kebab-case) names. */
  key?: Record<string, boolean>;
}

/**
 * yargs reads `--no-out` as out = false and `--out.x d` as out = {x: 'd'}, and hands them to the
 * command, which then fails inside (an internal error, or "unknown variant \"false\""): an
 * option that takes a value needs one, and no option has fields.
 */
function typedValues(args: Record<string, unknown>, options: ParserOptions): true {
  const booleans = new Set(options.boolean ?? []);
  const declared = options.key ?? {};
  for (const [key, value] of Object.entries(args)) {
    // yargs keeps each option under its declared name and its camelCase one; an undeclared one is strict()'s.
    if (!Object.hasOwn(declared, key)) continue;
    const name = () => optionName(key, options.alias ?? {});
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v === 'object' && v !== null) {
        throw new UsageError(booleans.has(key) ? `${name()} is a flag: it has no fields` : `${name()} takes one value, not fields (a value that starts with a dot goes after a space)`);
      }
      if (typeof v === 'boolean' && !booleans.has(key)) throw new UsageError(`${name()} needs a value (--no-${key} is not one)`);
    }
  }
  return true;
}

// ---------------------------------------------------------------- the process entry

function isMain(): boolean {
  try {
    return realpathSync(process.argv[1] ?? '') === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/**
 * The commands that run simulations, which only a worker lets Ctrl-C stop cleanly (cli/process.ts);
 * (`diff --what trace` runs two; `check` replays thousands of small ones; `reproduce` runs each
 * experiment's variants over its seeds; `trace`, and `ingest --vs`, run one); `list` and `show` only read
 * the registry and stay on the main thread.
 * `sweep` stays there too: it runs its own workers, and the main thread it leaves free takes Ctrl-C.
 */
const SIMULATING = new Set(['run', 'compare', 'diff', 'report', 'check', 'reproduce', 'trace', 'ingest']);

if (isMainThread && isMain()) {
  const { runHere, runInWorker } = await import('./process.js');
  if (SIMULATING.has(process.argv[2] ?? '')) runInWorker(new URL(import.meta.url));
  else await runHere(runCli);
} else if (!isMainThread && (workerData as { apfLabCli?: boolean } | null)?.apfLabCli) {
  const { workerMain } = await import('./process.js');
  await workerMain(runCli, parentPort!);
}
