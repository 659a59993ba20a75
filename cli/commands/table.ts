import type { CommandModule } from 'yargs';
import type { Io } from '../io.js';

/** A command's module, built for one invocation (report also needs the command line it was given). */
export type CommandFactory = (io: Io, argv: readonly string[]) => CommandModule<object, never>;

interface CommandEntry {
  /** yargs' command string: the name and its positionals. */
  command: string;
  describe: string;
  /** What to say when its required positionals are missing (yargs: "Not enough non-option arguments"). */
  missing?: string;
  /** The command's module, loaded only when the command line names it. */
  load: () => Promise<CommandFactory>;
}

/**
 * Every command of the CLI, with what `apf-lab --help` prints of it. The top-level help needs only
 * these lines; a command's module (and the simulator, zod, yaml, Handlebars behind it) is loaded
 * only when the command line names that command, so `--help` and `list` do not pay for `report`.
 */
export type CommandName = 'list' | 'show' | 'run' | 'compare' | 'reproduce' | 'diff' | 'trace' | 'report' | 'sweep' | 'patch' | 'ingest' | 'check';

export const COMMANDS: Readonly<Record<CommandName, CommandEntry>> = {
  list: {
    command: 'list',
    describe: 'list variants, their mechanisms, and built-in scenarios',
    load: async () => (await import('./list.js')).listCommand as CommandFactory,
  },
  show: {
    command: 'show <variant>',
    describe: "print a variant's mechanisms, costs, knobs and review findings",
    missing: 'name a variant (see `apf-lab list`)',
    load: async () => (await import('./show.js')).showCommand as CommandFactory,
  },
  run: {
    command: 'run <variant>',
    describe: 'run one variant through a scenario',
    missing: 'name a variant (see `apf-lab list`)',
    load: async () => (await import('./run.js')).runCommand as CommandFactory,
  },
  compare: {
    command: 'compare [variants..]',
    describe: "run one scenario through several variants, side by side (each architecture's no-APF baseline included)",
    load: async () => (await import('./compare.js')).compareCommand as CommandFactory,
  },
  reproduce: {
    command: 'reproduce [experiments..]',
    describe: 'run the published experiments (scenarios with an `experiment` block) and show the lab next to the published figures',
    load: async () => (await import('./reproduce.js')).reproduceCommand as CommandFactory,
  },
  diff: {
    command: 'diff <a> <b>',
    describe: "a unified diff of two variants' mechanism sheets, or of their tracepoints for the same faults",
    missing: 'name two variants (see `apf-lab list`)',
    load: async () => (await import('./diff.js')).diffCommand as CommandFactory,
  },
  trace: {
    command: 'trace <variant>',
    describe: "a run's async page fault tracepoints as the host's ftrace prints them (and a Perfetto timeline)",
    missing: 'name a variant (see `apf-lab list`)',
    load: async () => (await import('./trace.js')).traceCommand as CommandFactory,
  },
  report: {
    command: 'report [variants..]',
    describe: 'write a design report (Markdown or one self-contained HTML page) comparing variants',
    load: async () => (await import('./report.js')).reportCommand as CommandFactory,
  },
  sweep: {
    command: 'sweep',
    describe: 'run a scenario over a grid of parameter values × variants × seeds, in parallel (CSV, JSON, SVG chart)',
    load: async () => (await import('./sweep.js')).sweepCommand as CommandFactory,
  },
  patch: {
    command: 'patch <files..>',
    describe: 'read a kernel patch, series, mbox or review page: APF mechanisms, best-matching variant, footprint, review comments by hunk',
    missing: 'name a patch file (a patch, a series, an mbox or a review page)',
    load: async () => (await import('./patch.js')).patchCommand as CommandFactory,
  },
  ingest: {
    command: 'ingest <file>',
    describe: "read a host's ftrace capture of the async-PF tracepoints: faults, durations, a swap latency for a scenario, token layout, KVM's invariants",
    missing: 'name a capture file (a copy of the ftrace `trace` file, or `trace-cmd report` output; /dev/stdin for a pipe)',
    load: async () => (await import('./ingest.js')).ingestCommand as CommandFactory,
  },
  check: {
    command: 'check <variant>',
    describe: "walk every order of faults, completions and guest entries up to a depth: invariants in every step, nothing left behind at rest; the shortest order for each kind of wrong, traced",
    missing: 'name a variant (see `apf-lab list`)',
    load: async () => (await import('./check.js')).checkCommand as CommandFactory,
  },
};

/** The command a command line names: its first word that is a command (yargs takes the same one). */
export function namedCommand(argv: readonly string[]): CommandName | null {
  for (const arg of argv) if (Object.hasOwn(COMMANDS, arg)) return arg as CommandName;
  return null;
}

/** What a command module shares with the table: its command string and description. */
export function usageLine(name: CommandName): { command: string; describe: string } {
  const { command, describe } = COMMANDS[name];
  return { command, describe };
}

/** What a command with required positionals says when they are missing: yargs' check and its handler's. */
export function missingLine(name: 'show' | 'run' | 'diff' | 'trace' | 'check'): string {
  return COMMANDS[name].missing!;
}
