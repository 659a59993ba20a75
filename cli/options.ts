import type { Argv } from 'yargs';
import { VARIANTS } from '../arches/registry.js';
import { checkSeed } from '../core/engine/rng.js';
import type { Variant } from '../core/backend.js';
import { BadInputError } from '../core/errors.js';
import { pastBound } from '../core/number-text.js';
import type { RunOptions } from '../core/run.js';
import { checkScenarioSize } from '../core/scenario/bounds.js';
import { MIN_RUN_MS } from '../core/scenario/limits.js';
import { sizeLimit, type SizeLimit } from '../core/scenario/size-limit.js';
import { loadScenario, DEFAULT_SCENARIO, type KnownOverrides } from '../core/scenario/load.js';
import type { Scenario } from '../core/scenario/schema.js';
import { UsageError, type Io } from './io.js';
import { count } from './views/format.js';

/** The environment variable that, like --allow-large, lifts the laptop size limits. */
export const ALLOW_LARGE_ENV = 'APF_LAB_ALLOW_LARGE';

/** --allow-large, the same for every command that runs scenarios (core/scenario/bounds.ts). */
export const ALLOW_LARGE_OPTION = {
  type: 'boolean',
  default: false,
  describe: `run scenarios above the laptop size limits (README "Limits"; or set ${ALLOW_LARGE_ENV}=1)`,
} as const;

/** Options shared by the commands that run a scenario. */
export function scenarioOptions<T>(y: Argv<T>) {
  return y
    .option('scenario', {
      alias: 's',
      type: 'string',
      requiresArg: true,
      default: DEFAULT_SCENARIO,
      describe: 'built-in scenario name or path to a scenario YAML file',
    })
    // A string, parsed here: yargs would turn "0x10" or "1e3" into numbers and "" into NaN.
    .option('seed', { type: 'string', requiresArg: true, describe: "PRNG seed, any safe integer (default: the scenario's seed)" })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of the table' })
    .option('allow-large', ALLOW_LARGE_OPTION);
}

export interface ScenarioArgs {
  scenario: string;
  seed?: string;
  json: boolean;
  allowLarge: boolean;
}

/** The architectures and keys a scenario's `costs` and `arch` may name: those of the registered variants. */
export function knownOverrides(): KnownOverrides {
  const costs: Record<string, string[]> = {};
  const arch: Record<string, string[]> = {};
  const add = (into: Record<string, string[]>, a: string, keys: string[]) => {
    into[a] = [...new Set([...(Object.hasOwn(into, a) ? into[a] : []), ...keys])].sort();
  };
  for (const v of VARIANTS) {
    add(costs, v.arch, Object.keys(v.defaultCosts));
    add(arch, v.arch, Object.keys(v.knobs));
  }
  return { costs, arch };
}

/** Loads a scenario the way every command does: with the known override keys. */
export function loadForCli(nameOrFile: string): Scenario {
  return loadScenario(nameOrFile, { known: knownOverrides() });
}

/** Parses --seed: an integer in decimal, within the safe range (core/engine/rng.ts checkSeed()). */
export function parseSeed(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`--seed must be an integer, got ${JSON.stringify(text)}`);
  const seed = Number(text);
  try {
    checkSeed(seed);
  } catch {
    throw new UsageError(`--seed must be an integer from -${Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, got ${text}`);
  }
  return seed;
}

/**
 * Builds every registered variant's backend once with the scenario's overrides, so that a knob a
 * backend refuses (arch.x86.vector: 300) is reported with the file before anything runs; core
 * reports it as "scenario arch.…" because it never knows where a scenario came from.
 */
function checkBackends(scenario: Scenario, file: string, variants: readonly Variant[]): void {
  const guestMemoryBytes = Math.round(scenario.machine.guestMemoryMiB * 1024 * 1024);
  for (const v of variants) {
    const costOverrides = { ...v.defaultCosts, ...(Object.hasOwn(scenario.costs, v.arch) ? scenario.costs[v.arch] : {}) };
    const knobs = { ...v.knobs, ...(Object.hasOwn(scenario.arch, v.arch) ? scenario.arch[v.arch] : {}) };
    try {
      v.createBackend({ costOverrides, knobs, guestMemoryBytes });
    } catch (e) {
      if (e instanceof BadInputError) throw new BadInputError(`${file}: ${e.message.replace(/^scenario /, '')}`);
      throw e;
    }
  }
}

/**
 * Whether the command line names option `name` (without dashes: `scenario`, `s`) in any spelling
 * yargs reads as it: `--name`, `--name=x`, `--name.x` (dot notation), `--no-name`, and for a
 * one-letter name `-n`, `-nx` too. For an option a command takes but ignores in some mode.
 */
export function givenOnCommandLine(argv: readonly string[], name: string): boolean {
  return argv.some((a) => {
    if (name.length === 1 && a.startsWith(`-${name}`)) return true;
    const long = /^--(?:no-)?([^=.]+)/.exec(a);
    return long !== null && long[1] === name;
  });
}

/** The scenario, the seed and the run hooks (progress, Ctrl-C, the size limit) for a command that runs one. */
export function resolveScenario(args: ScenarioArgs, io?: Io, variants: readonly Variant[] = VARIANTS): { scenario: Scenario; seed: number; hooks: Pick<RunOptions, 'onProgress' | 'signal' | 'sizeLimit'> } {
  if (args.scenario === '') throw new UsageError('--scenario needs a value');
  // yargs reads `-s./a.yaml` with dot notation (an object) and `--no-scenario` as false.
  if (typeof args.scenario !== 'string') throw new UsageError('-s/--scenario takes one built-in name or file (a path that starts with a dot goes after a space: -s ./a.yaml)');
  const seed = args.seed === undefined ? undefined : parseSeed(args.seed);
  const scenario = loadForCli(args.scenario);
  const limit = checkRunnable(scenario, args.scenario, variants, args.allowLarge);
  return { scenario, seed: seed ?? scenario.seed, hooks: { onProgress: io?.progress, signal: io?.signal, sizeLimit: limit } };
}

/**
 * What every command checks of a scenario before it runs it: the variants' knobs and, unless
 * allowed, its size. Returns the limit its runs are held to as they run (the estimate of the size
 * can be low), or undefined when large runs are allowed.
 */
export function checkRunnable(scenario: Scenario, file: string, variants: readonly Variant[], allowLarge: boolean): SizeLimit | undefined {
  checkBackends(scenario, file, variants);
  if (allowLarge || process.env[ALLOW_LARGE_ENV] === '1') return undefined;
  const raise = `pass --allow-large (or set ${ALLOW_LARGE_ENV}=1) to run it anyway`;
  checkScenarioSize(scenario, file, raise);
  return sizeLimit(file, raise);
}

/**
 * A whole-number flag (--seeds, --jobs, --depth, --max-orders, …): 200000, 200_000 (as JavaScript
 * writes it) or 200,000 (as --help and this error print it), separators only between groups of
 * three digits; from 1 to `max`. Every command parses its counts here, so all take the same forms.
 */
export function wholeFlag(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const given = String(text);
  const digits = /^\d{1,3}([,_]\d{3})+$/.test(given) ? given.replace(/[,_]/g, '') : given;
  const n = /^\d+$/.test(digits) ? Number(digits) : Number.NaN;
  // A number past the bound, in any form (99999999999999999999, 1e308), is refused for that, as a
  // scenario's fields are: "must be a whole number" was untrue of it, and gave no bound without a max.
  if (pastBound(digits, max)) {
    throw new UsageError(`${flag} must be at most ${count(max)}, got ${JSON.stringify(given)}`);
  }
  if (!(n >= 1 && n <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'of 1 or more' : `from 1 to ${count(max)}`;
    throw new UsageError(`${flag} must be a whole number ${range}, got ${JSON.stringify(given)}`);
  }
  return n;
}

/**
 * A time flag in milliseconds (--duration-ms, --from-ms, --to-ms): a decimal, with an exponent if
 * wanted (2.5, 1e-7), of at least 1 ns (0.000001 ms), since a smaller one rounds to no time (0
 * itself only where `zero` allows it), and at most `max` ms. The message states that rule: "1e-7
 * must be above 0" was refused as if it were not.
 */
export function msFlag(flag: string, text: string, { zero, max }: { zero: boolean; max: { ms: number; why: string } }): number {
  const given = String(text);
  const ms = /^(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(given) ? Number(given) : Number.NaN;
  const least = `${zero ? '0 or ' : ''}at least ${MIN_RUN_MS.toFixed(6)} ms (1 ns)`;
  if (Number.isNaN(ms)) throw new UsageError(`${flag} must be a number of milliseconds, ${least}, got ${JSON.stringify(given)}`);
  if (ms < MIN_RUN_MS && !(zero && ms === 0)) throw new UsageError(`${flag} must be ${least}: shorter rounds to no time at all, got ${JSON.stringify(given)}`);
  if (ms > max.ms) throw new UsageError(`${flag} must be at most ${max.ms} ms (${max.why}), got ${JSON.stringify(given)}`);
  return ms;
}
