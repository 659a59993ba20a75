import { z } from 'zod';
import { HARD, MAX_RUN_MS, MIN_RUN_MS } from '../scenario/limits.js';
import { plainIssueMessage } from '../scenario/issue-message.js';
import { parseYaml, ScenarioError } from '../scenario/load.js';
import { readCapped } from '../scenario/read.js';
import { count } from '../plural.js';
import { MAX_RUNS } from './grid.js';

/**
 * A sweep file: the same things as the command line's flags, for a sweep worth keeping.
 *
 *   scenario: overcommit          # built-in name, or a path (relative to this file)
 *   params:                       # in order: the last varies fastest; the first is the chart's x
 *     backing.latency.us: 50..10000:log:8
 *     tasksPerVcpu: [1, 2, 4]
 *   variants: [x86, arm64-sdei]
 *   seeds: 5
 *
 * A parameter's value is a spec string (as after `--param name=`), a single value, or a list.
 */
type Scalar = number | string | boolean;

/**
 * A parameter's value, checked by hand: a union of schemas says only "Invalid input" for what it
 * refuses, and YAML makes values of words a user meant otherwise (`.inf` is Infinity, `~` or
 * nothing at all is null). Each problem says why, at the list item where it is.
 */
const paramValue = z.unknown().superRefine((value, ctx) => {
  if (!Array.isArray(value)) {
    const why = scalarProblem(value, 'a spec (50..10000:log:8), a value or a list of values');
    if (why !== null) ctx.addIssue({ code: 'custom', message: why });
    return;
  }
  if (value.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one value' });
  value.forEach((item, i) => {
    const why = scalarProblem(item, 'a number, a word or true/false');
    if (why !== null) ctx.addIssue({ code: 'custom', message: why, path: [i] });
  });
}) as z.ZodType<Scalar | Scalar[]>;

/** Why a value is not a number, a string or a boolean, naming what `expected`; null when it is one. */
function scalarProblem(value: unknown, expected: string): string | null {
  if (value === null || value === undefined) return `has no value: give ${expected}`;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `must be a finite number, got ${Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf'}`;
  if (typeof value === 'string' || typeof value === 'boolean') return null;
  return `must be ${expected}, not ${Array.isArray(value) ? 'a list inside a list' : 'a mapping'}`;
}

/**
 * Seeds per point, in a sweep file and a part file (core/sweep/merge.ts): the bounds before int(),
 * as a scenario's counts have them (zod's int() called 1e308 "at most 2^53 - 1").
 */
export const sweepSeeds = z.number().min(1, 'must be at least 1').max(MAX_RUNS, `must be at most ${count(MAX_RUNS)}: a sweep has at most ${count(MAX_RUNS)} runs`).int('must be a whole number');

export const sweepFileSchema = z
  .object({
    scenario: z.string().min(1).optional(),
    // In the scenario's words (core/scenario/schema.ts seed): 1.5 and 1e308 alike were "must be a safe integer".
    seed: z.number().refine(Number.isSafeInteger, `must be an integer from -${HARD.seed} to ${HARD.seed} (a safe integer: beyond, two seeds would be the same number)`).optional(),
    durationMs: z
      .number()
      .min(MIN_RUN_MS, `must be at least ${MIN_RUN_MS.toFixed(6)} ms (1 ns): shorter rounds to no time at all`)
      .max(MAX_RUN_MS, `must be at most ${MAX_RUN_MS} ms (one day)`)
      .optional(),
    params: z.record(z.string().min(1), paramValue).optional(),
    variants: z.array(z.string().min(1)).min(1).optional(),
    seeds: sweepSeeds.optional(),
    metric: z.string().min(1).optional(),
    x: z.string().min(1).optional(),
  })
  .strict();

export type SweepFile = z.output<typeof sweepFileSchema>;

/** Reads and checks a sweep file; every problem names the file and the field. */
export function readSweepFile(file: string): SweepFile {
  const raw = parseYaml(readCapped(file, file, HARD.fileBytes, 'sweep file'), file);
  const parsed = sweepFileSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join('.');
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')} (known: ${Object.keys(sweepFileSchema.shape).join(', ')})`
        : plainIssueMessage(issue, raw);
    throw new ScenarioError(file, field, message);
  }
  return parsed.data;
}

/** A parameter's value from the file as the spec text `--param` would take. */
export function specText(value: SweepFile['params'] extends Record<string, infer V> | undefined ? V : never): string {
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}
