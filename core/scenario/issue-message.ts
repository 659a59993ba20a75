import type { z } from 'zod';
import { caseHint } from '../case-hint.js';

/**
 * A schema issue in the lab's words: the field and what is wrong with it, with what the file holds
 * there, never the schema library's own phrases ("Too big: expected array to have <=1000 items",
 * "Invalid input: expected number, received NaN"). For scenario files (describeIssue(), which
 * also finds the issue inside a step), and for the other files the lab reads (plainIssueMessage()).
 */

/** The step kinds, in the order of schema.ts's union of steps. */
const STEP_KINDS = ['compute', 'touch', 'syscall', 'irqoff', 'preemptoff', 'sleep', 'ipi'];

/**
 * Makes a zod issue precise. A union of steps fails as a whole; when the step names exactly one
 * kind, the issue inside that kind's branch is the one the user needs, with its full path.
 */
export function describeIssue(issue: z.core.$ZodIssue, raw: unknown): { path: PropertyKey[]; message: string } {
  const path = [...issue.path];
  const twoKinds = stepWithKinds(raw, path);
  if (twoKinds) return { path, message: twoKinds };
  if (issue.code === 'unrecognized_keys') {
    const shown = issue.keys.slice(0, 10).join(', ');
    return { path, message: `unknown field(s): ${shown}${issue.keys.length > 10 ? `, … (${issue.keys.length} in all)` : ''}` };
  }
  if (issue.code === 'invalid_value') {
    const got = 'input' in issue ? `, got ${JSON.stringify(issue.input)}` : '';
    return { path, message: `expected one of ${issue.values.map(String).join(', ')}${got}` };
  }
  // A discriminated union (backing.kind) names the values it knows.
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    const got = valueAt(raw, path);
    return { path, message: `expected one of ${issue.options.map(String).join(', ')}${got === undefined ? '' : `, got ${JSON.stringify(got)}`}` };
  }
  if (issue.code === 'invalid_union') {
    const step = valueAt(raw, path);
    // Each kind of step would say "must be a mapping": say once what a step is.
    if (isStep(path) && (step === null || typeof step !== 'object')) {
      return { path, message: `must be a step, a mapping of exactly one of ${STEP_KINDS.join(', ')}; got ${shownValue(step)}` };
    }
    // A value with alternatives (ipi.target: a vCPU number or `next`), not a step: say each.
    if (step === null || typeof step !== 'object') return { path, message: `${alternatives(issue.errors)}; got ${shownValue(step)}` };
    const keys = step && typeof step === 'object' && !Array.isArray(step) ? Object.keys(step) : [];
    const branch = keys.length === 1 ? STEP_KINDS.indexOf(keys[0]) : -1;
    const inner = branch >= 0 ? issue.errors[branch]?.[0] : undefined;
    if (!inner) return { path, message: unknownStepMessage(keys) };
    const sub = describeIssue(inner, step);
    return { path: [...path, ...sub.path], message: sub.message };
  }
  // The library's own words only: a field's custom message ("a whole number of ns") stays.
  return { path, message: plainIssueMessage(issue, raw) };
}

/**
 * Any issue in the lab's words, for a file other than a scenario (a sweep part file): unknown
 * fields, a value not among those allowed, a wrong type, a bound; what the schema library says
 * otherwise, cut to a line.
 */
export function plainIssueMessage(issue: z.core.$ZodIssue, raw: unknown): string {
  const got = valueAt(raw, issue.path);
  let message: string;
  if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.slice(0, 10).join(', ')}${issue.keys.length > 10 ? ', …' : ''}`;
  else if (issue.code === 'invalid_value') message = `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}${got === undefined ? '' : `, got ${shownValue(got)}`}`;
  else if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) message = typeMessage(issue.expected, got);
  else message = boundMessage(issue) ?? issue.message;
  return message.length > 200 ? `${message.slice(0, 199)}…` : message;
}

/** Each branch of a union as its first complaint says it, each complaint once: `must be a whole number, or "next"`. */
function alternatives(branches: readonly (readonly z.core.$ZodIssue[])[]): string {
  const said = branches.map((b) => {
    const first = b[0];
    if (first === undefined) return 'valid';
    if (first.code === 'invalid_value') return first.values.map((v) => JSON.stringify(v)).join(' or ');
    if (first.code === 'invalid_type' && first.message.startsWith('Invalid input')) return `must be ${TYPE_WORDS[first.expected] ?? `a ${first.expected}`}`;
    return boundMessage(first) ?? first.message;
  });
  return [...new Set(said)].join(', or ');
}

function shownValue(got: unknown): string {
  if (typeof got === 'string') return JSON.stringify(got.length > 40 ? `${got.slice(0, 40)}…` : got);
  if (got === null || typeof got !== 'object') return String(got);
  return Array.isArray(got) ? 'a list' : 'a mapping';
}

/**
 * A bound in the lab's words where the field has no message of its own ("Too big: expected array
 * to have <=1000 items" → "must list at most 1000 items"); null for any other issue.
 */
export function boundMessage(issue: z.core.$ZodIssue): string | null {
  if (issue.code !== 'too_small' && issue.code !== 'too_big') return null;
  if (!issue.message.startsWith('Too ')) return null;
  const small = issue.code === 'too_small';
  const limit = Number(small ? issue.minimum : issue.maximum);
  const shown = String(limit);
  const side = small ? (issue.inclusive === false ? 'above' : 'at least') : issue.inclusive === false ? 'below' : 'at most';
  if (issue.origin === 'array' || issue.origin === 'set') return `must list ${side} ${shown} item${limit === 1 ? '' : 's'}`;
  if (issue.origin === 'string') return `must be ${side} ${shown} character${limit === 1 ? '' : 's'} long`;
  return `must be ${side} ${shown}`;
}

/**
 * A value of the wrong type, in the lab's words rather than the schema library's ("Invalid input:
 * expected number, received NaN"; "… expected string, received undefined" for a missing field).
 */
export function typeMessage(expected: string, got: unknown): string {
  const what = TYPE_WORDS[expected] ?? `a ${expected}`;
  if (got === undefined) return `missing: ${what} is required`;
  const shown = typeof got === 'number' || typeof got === 'boolean' || got === null ? String(got) : typeof got === 'string' ? JSON.stringify(got.slice(0, 40)) : Array.isArray(got) ? 'a list' : 'a mapping';
  return `must be ${what}, got ${shown}`;
}

/** The schema library's type names in the lab's words ("must be a int" was one). */
const TYPE_WORDS: Readonly<Record<string, string>> = { int: 'a whole number', object: 'a mapping', record: 'a mapping', array: 'a list', boolean: 'true or false' };

/** A task's step: `…program[n]`. */
function isStep(path: readonly PropertyKey[]): boolean {
  return path[path.length - 2] === 'program' && typeof path[path.length - 1] === 'number';
}

/** zod blames one branch of the union for a step that names two kinds; say what is wrong instead. */
function stepWithKinds(raw: unknown, path: readonly PropertyKey[]): string | null {
  if (!isStep(path)) return null;
  const v = valueAt(raw, path);
  const kinds = v && typeof v === 'object' ? Object.keys(v).filter((k) => STEP_KINDS.includes(k)) : [];
  return kinds.length > 1 ? `a step is exactly one of ${STEP_KINDS.join(', ')}; this one has ${kinds.join(', ')}` : null;
}

/**
 * A step that names no kind the lab knows: the keys that are not kinds, and the kind a key differs
 * from only in case (`Compute`), since that is the usual slip. An empty mapping names none.
 */
function unknownStepMessage(keys: readonly string[]): string {
  const valid = `a step is exactly one of ${STEP_KINDS.join(', ')}`;
  const unknown = keys.filter((k) => !STEP_KINDS.includes(k));
  if (keys.length === 0) return `an empty mapping: ${valid}`;
  if (unknown.length === 0) return `not a valid step: ${valid}, with its fields`;
  const shown = unknown.slice(0, 5).map((k) => JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k));
  const more = unknown.length > 5 ? `, … (${unknown.length} in all)` : '';
  const hint = caseHint(unknown, STEP_KINDS, 'step kinds are lower case');
  return `unknown step kind${unknown.length > 1 ? 's' : ''} ${shown.join(', ')}${more}${hint}: ${valid}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) v = v && typeof v === 'object' && Object.hasOwn(v, p) ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}
