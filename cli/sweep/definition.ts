import { dirname, isAbsolute, join } from 'node:path';
import { variantsToCompare } from '../../arches/registry.js';
import type { Variant } from '../../core/backend.js';
import { BadInputError } from '../../core/errors.js';
import { DEFAULT_SCENARIO, validateScenario } from '../../core/scenario/load.js';
import { ScenarioError } from '../../core/scenario/error.js';
import { MAX_RUN_MS } from '../../core/scenario/limits.js';
import type { Scenario } from '../../core/scenario/schema.js';
import type { SizeLimit } from '../../core/scenario/size-limit.js';
import { defineSweep, sweepVariant, type SweepDefinition } from '../../core/sweep/document.js';
import { readSweepFile, specText, type SweepFile } from '../../core/sweep/file.js';
import { checkRunCount, MAX_RUNS, pointValues, type SweepParam } from '../../core/sweep/grid.js';
import { SWEEP_METRICS } from '../../core/sweep/metrics.js';
import { canonicalParamName, checkParamName, paramOverlap, paramSetting, pointScenario } from '../../core/sweep/params.js';
import { parseValueSpec } from '../../core/sweep/spec.js';
import { UsageError } from '../io.js';
import { checkRunnable, knownOverrides, msFlag, parseSeed, resolveScenario, wholeFlag } from '../options.js';
import { idsWithFiles, variantsWithFiles, type VariantFileData } from '../variant-files.js';

/** The sweep's flags as yargs gives them (strings, parsed here, as --seed is). */
export interface SweepArgs {
  file?: string;
  scenario?: string;
  seed?: string;
  durationMs?: string;
  param?: string[];
  variants?: string[];
  seeds?: string;
  metric?: string;
  x?: string;
  variantFile?: string[];
  allowLarge: boolean;
}

export interface ResolvedSweep {
  readonly def: SweepDefinition;
  /** How messages name the base scenario (its file or built-in name). */
  readonly source: string;
  /** The sweep file whose `params` the sweep takes (no --param given), for messages about a point; else null. */
  readonly paramsFile: string | null;
  readonly variants: readonly Variant[];
  /**
   * The variants each point's scenario is checked against: every one the command knows, swept or
   * not, as `run` and `compare` check a scenario, so that a scenario is refused or accepted as a whole.
   */
  readonly known: readonly Variant[];
  /** The variant files as read and checked: the workers compose their variants from this, not from the files. */
  readonly variantFiles: readonly VariantFileData[];
  /** Where the sweep's duration came from, when not from the scenario ("--duration-ms 200"); else null. */
  readonly durationBy: string | null;
}

/**
 * The sweep from a sweep file and the flags: a flag overrides the file's field of the same name,
 * and `--param` flags, when given, replace the file's `params`. A malformed flag is a usage error
 * (exit 2); a bad file or a value the scenario refuses is bad input (exit 1).
 */
export function resolveSweep(args: SweepArgs): ResolvedSweep {
  const file: SweepFile = args.file === undefined ? {} : readSweepFile(args.file);
  const fromFile = (field: string) => (e: unknown) => {
    if (e instanceof BadInputError) throw new BadInputError(`${args.file}: ${field}: ${e.message}`);
    throw e;
  };

  const { known, fromFiles, files: variantFiles } = variantsWithFiles(args);
  const named = args.variants ? args.variants.flatMap((v) => variantsFlag(String(v))) : (file.variants ?? []);
  const ids = idsWithFiles(named, fromFiles);
  if (ids.length === 0) {
    if (args.file !== undefined) throw new BadInputError(`${args.file}: variants: name the variants to sweep (e.g. variants: [x86, arm64-sdei]), or give --variants`);
    throw new UsageError('name the variants to sweep: --variants x86,arm64-sdei (see `apf-lab list`)');
  }
  // `sync` stands for the baselines of the architectures named, as in compare; none is added otherwise.
  const variants = variantsToCompare(ids, { baselines: false, known });

  const source = args.scenario ?? scenarioFromFile(args.file, file.scenario) ?? DEFAULT_SCENARIO;
  let loaded: Scenario;
  try {
    loaded = resolveScenario({ scenario: source, json: false, allowLarge: args.allowLarge }, undefined, known).scenario;
  } catch (e) {
    // A scenario the sweep file names is the file's mistake: name the file and its field, as for its other fields.
    if (args.scenario === undefined && file.scenario !== undefined) fromFile('scenario')(e);
    throw e;
  }
  const seed = args.seed !== undefined ? parseSeed(args.seed) : file.seed;
  const durationMs = args.durationMs !== undefined ? parseDuration(args.durationMs) : file.durationMs;

  const params = args.param !== undefined ? args.param.map((p) => paramFromFlag(String(p))) : paramsFromFile(file, fromFile);
  if (params.length === 0) {
    if (args.param === undefined && args.file !== undefined) {
      throw new BadInputError(`${args.file}: params: name a parameter to sweep (e.g. params: { backing.latency.us: 50..10000:log:8 }), or give --param NAME=SPEC`);
    }
    throw new UsageError('name a parameter to sweep: --param NAME=SPEC (e.g. --param backing.latency.us=50..10000:log:8)');
  }
  const paramsFile = args.param === undefined ? (args.file ?? null) : null;
  const merged = { ...loaded, ...(seed === undefined ? {} : { seed }), ...(durationMs === undefined ? {} : { durationMs }) };
  // The names before the base is checked, which builds the first point when the base alone breaks a rule.
  const names = new Set<string>();
  const overrides = knownOverrides();
  for (const p of params) {
    if (names.has(p.name)) throw new UsageError(`parameter ${p.name} is given twice`);
    names.add(p.name);
    try {
      checkParamName(merged, p.name, overrides);
    } catch (e) {
      // A name from a sweep file is the file's mistake, as a value from it is (pointLabel()).
      if (paramsFile !== null && e instanceof BadInputError) throw new BadInputError(`${paramsFile}: params: ${e.message}`);
      throw e;
    }
  }
  // The scenario loaded as it is: a rule the base breaks is then the duration the sweep gave it.
  const durationBy = durationMs === undefined ? null : args.durationMs !== undefined ? `--duration-ms ${durationMs}` : `${args.file}: durationMs ${durationMs}`;
  const scenario = baseScenario(merged, source, params, paramsFile, durationBy === null ? null : { by: durationBy, ownMs: loaded.durationMs });
  const overlap = paramOverlap(scenario, params.map((p) => p.name));
  if (overlap !== undefined) throw args.param !== undefined ? new UsageError(overlap) : new BadInputError(`${args.file}: params: ${overlap}`);
  // --duration-ms and --seed (or the file's fields) set the base scenario: a parameter that sets the
  // same field would overwrite them at every point, and the flag would be ignored without a word.
  for (const [field, flag, fromFlag] of [['durationMs', '--duration-ms', args.durationMs !== undefined], ['seed', '--seed', args.seed !== undefined]] as const) {
    if (!fromFlag && file[field] === undefined) continue;
    const param = paramSetting(scenario, params.map((p) => p.name), field);
    if (param === undefined) continue;
    const why = `${fromFlag ? flag : field} and ${args.param !== undefined ? `--param ${param}` : `params.${param}`} both set ${field}: the parameter would overwrite it at every point (give one of them)`;
    throw fromFlag && args.param !== undefined ? new UsageError(why) : new BadInputError(`${args.file}: ${why}`);
  }

  const seeds = args.seeds !== undefined ? wholeFlag('--seeds', args.seeds, MAX_RUNS) : (file.seeds ?? 1);
  const metric = args.metric ?? file.metric ?? 'work';
  if (!SWEEP_METRICS.some((m) => m.name === metric)) {
    const msg = `unknown metric "${metric}" (known: ${SWEEP_METRICS.map((m) => m.name).join(', ')})`;
    if (args.metric !== undefined) throw new UsageError(`--metric: ${msg}`);
    throw new BadInputError(`${args.file}: metric: ${msg}`);
  }
  const x = args.x ?? file.x ?? params[0].name;
  // Any spelling of a swept field will do (-x tasks.0.count for tasks.worker.count): the sweep records the canonical one.
  if (!params.some((p) => canonicalParamName(scenario, p.name) === canonicalParamName(scenario, x))) {
    const msg = `"${x}" is not a swept parameter (swept: ${[...names].join(', ')})`;
    if (args.x !== undefined) throw new UsageError(`-x: ${msg}`);
    throw new BadInputError(`${args.file}: x: ${msg}`);
  }
  checkRunCount(params, variants.length, seeds);
  const def = defineSweep({ scenario, params, variants: variants.map(sweepVariant), seeds, metric, x });
  return { def, source, paramsFile, variants, known, variantFiles, durationBy };
}

export interface PointRun {
  readonly scenario: Scenario;
  readonly sizeLimit: SizeLimit | undefined;
}

/**
 * The scenario of each point, validated like a scenario file and checked as every command checks
 * one before it runs (the knobs of every known variant, the size limits), all before the first run
 * starts; with the size limit its runs are held to as they run (options.ts checkRunnable()).
 */
export function pointScenarios(sweep: ResolvedSweep, points: readonly number[], allowLarge: boolean): Map<number, PointRun> {
  const { def, source } = sweep;
  const known = knownOverrides();
  const out = new Map<number, PointRun>();
  // What the variants' backends are built from (options.ts checkBackends()): each setting of it is
  // checked once, since building every known variant's backend at every point doubled the check.
  const backendsChecked = new Set<string>();
  for (const point of points) {
    const { assignments, label } = pointLabel(def.params, point, source, sweep.paramsFile);
    const s = pointScenario(def.scenario, assignments, label, known);
    const backendInput = JSON.stringify([s.costs, s.arch, s.machine.guestMemoryMiB]);
    const sizeLimit = sweptDuration(sweep, () => checkRunnable(s, label, backendsChecked.has(backendInput) ? [] : sweep.known, allowLarge));
    backendsChecked.add(backendInput);
    out.set(point, { scenario: s, sizeLimit });
  }
  return out;
}

/**
 * A point's values, and its name in messages. A value from a sweep file is the file's mistake: the
 * name starts with the file and its field, as for the file's other fields.
 */
function pointLabel(params: readonly SweepParam[], point: number, source: string, paramsFile: string | null) {
  const values = pointValues(params, point);
  const assignments = params.map((p, i) => ({ name: p.name, value: values[i] }));
  const where = paramsFile === null ? '' : `${paramsFile}: params: `;
  return { assignments, label: `${where}${source} with ${assignments.map((a) => `${a.name}=${String(a.value)}`).join(', ')}` };
}

/**
 * A point refused for its size estimate (its durationMs field) names the flag or file that set the
 * duration, as the base's own duration errors do (baseScenario()): the scenario file alone says
 * nothing of a duration that is not its own.
 */
function sweptDuration<T>(sweep: ResolvedSweep, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (sweep.durationBy === null || !(e instanceof ScenarioError) || e.field !== 'durationMs') throw e;
    throw new ScenarioError(e.file, e.field, `${e.problem} (durationMs ${sweep.def.scenario.durationMs} is set by ${sweep.durationBy})`);
  }
}

/**
 * The base scenario with --duration-ms and --seed in. A rule between fields that the base breaks
 * and the swept values mend (a shorter run with its events' times swept into it) is not the base's
 * mistake: the first point is checked instead, and every point is checked again before the first
 * run (pointScenarios()). Where the first point breaks a rule too, its error is the answer: the
 * base's own where it is the same one, the point's (named with its values) where the sweep mended
 * the base's and broke another.
 */
function baseScenario(
  merged: Scenario,
  source: string,
  params: readonly SweepParam[],
  paramsFile: string | null,
  duration: { readonly by: string; readonly ownMs: number } | null,
): Scenario {
  try {
    return validateScenario(merged, source);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    const { assignments, label } = pointLabel(params, 0, source, paramsFile);
    const setBy = (x: ScenarioError) => (duration === null ? x : new ScenarioError(x.file, x.field, `${x.problem}, set by ${duration.by}`));
    try {
      pointScenario(merged, assignments, label);
    } catch (p) {
      // The file loaded as it is: what breaks is the duration the sweep set, and the message says so.
      if (p instanceof ScenarioError && p.field === e.field && p.problem === e.problem) throw setBy(e);
      // The first point breaks a rule only with the sweep's duration: that is named too.
      if (p instanceof ScenarioError && duration !== null && validWith(merged, duration.ownMs, assignments, label)) throw setBy(p);
      throw p;
    }
    return merged;
  }
}

/** Is the first point valid with the scenario's own duration? */
function validWith(merged: Scenario, durationMs: number, assignments: Parameters<typeof pointScenario>[1], label: string): boolean {
  try {
    pointScenario({ ...merged, durationMs }, assignments, label);
    return true;
  } catch {
    return false;
  }
}

/** A scenario path in a sweep file is relative to the file; a built-in name stays a name. */
function scenarioFromFile(sweepFile: string | undefined, given: string | undefined): string | undefined {
  if (given === undefined || sweepFile === undefined) return given;
  const isPath = /[/\\]|\.ya?ml$/.test(given);
  return isPath && !isAbsolute(given) ? join(dirname(sweepFile), given) : given;
}

/** One --variants value's ids; an empty one ("x86,,arm64-sdei", "x86,") is pointed at, not taken for no variants at all. */
function variantsFlag(text: string): string[] {
  if (text.trim() === '') throw new UsageError('--variants needs a value: variant ids, comma-separated (see `apf-lab list`)');
  const ids = text.split(',').map((v) => v.trim());
  const empty = ids.indexOf('');
  if (empty >= 0) throw new UsageError(`--variants ${JSON.stringify(text)}: item ${empty + 1} of ${ids.length} is empty: separate the ids with single commas (e.g. x86,arm64-sdei)`);
  return ids;
}

function paramFromFlag(text: string): SweepParam {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--param takes NAME=SPEC (e.g. tasksPerVcpu=1..8), got ${JSON.stringify(text)}`);
  const name = text.slice(0, eq).trim();
  const spec = text.slice(eq + 1).trim();
  try {
    return { name, spec, values: parseValueSpec(spec) };
  } catch (e) {
    if (e instanceof BadInputError) throw new UsageError(`--param ${name}: ${e.message}`);
    throw e;
  }
}

function paramsFromFile(file: SweepFile, fromFile: (field: string) => (e: unknown) => never): SweepParam[] {
  return Object.entries(file.params ?? {}).map(([name, value]) => {
    const spec = specText(value);
    try {
      return { name, spec, values: parseValueSpec(spec) };
    } catch (e) {
      return fromFile(`params.${name}`)(e);
    }
  });
}


/** The scenario's bounds on durationMs (README "Limits"), refused here as a usage error of the flag. */
function parseDuration(text: string): number {
  return msFlag('--duration-ms', text, { zero: false, max: { ms: MAX_RUN_MS, why: 'one day' } });
}
