import type { z } from 'zod';
import { BadInputError } from '../errors.js';
import { checkOverrideKeys, type KnownOverrides } from '../scenario/bounds.js';
import { ONE_PAGE_MIB, PAGES_PER_MIB } from '../scenario/limits.js';
import { validateScenario } from '../scenario/load.js';
import { scenarioSchema, type Scenario } from '../scenario/schema.js';
import { schedulerDefaults } from '../scenario/scheduler-defaults.js';
import type { SweepValue } from './spec.js';

/**
 * What a sweep may vary. A parameter is either a scenario field named by its dotted path
 * (`backing.latency.us`, `machine.vcpus`, `tasks.writer.count`, `costs.x86.exitCycles`; an array
 * element by its index or its `name`), or one of the named knobs below, which change several
 * fields at once in a way no single field says. Either way the scenario that results is
 * validated like a scenario file, so a bad value is refused naming the field and why.
 */
export interface NamedParam {
  readonly name: string;
  readonly describe: string;
  /** The fields it sets, named as fieldOf() names a path, so that a parameter setting one of them too is refused. */
  fields(s: Scenario): readonly string[];
  apply(s: MutableScenario, value: SweepValue, label: string): void;
}

type MutableScenario = { -readonly [K in keyof Scenario]: Scenario[K] };

export const NAMED_PARAMS: readonly NamedParam[] = [
  {
    name: 'tasksPerVcpu',
    describe:
      'tasks of each group per vCPU: every task group given by `count` (not a job set, not pinned to a vCPU) gets count = value × machine.vcpus',
    fields: (s) => scaledGroups(s).map((t) => `tasks.${elementSegment(s.tasks, s.tasks.indexOf(t))}.count`),
    apply(s, value, label) {
      const n = wholeNumber(value, 'tasksPerVcpu', label);
      const scaled = scaledGroups(s);
      if (scaled.length === 0) throw new BadInputError(`${label}: tasksPerVcpu: no task group to scale (each is a job set or pinned to a vCPU)`);
      s.tasks = s.tasks.map((t) => (scaled.includes(t) ? { ...t, count: n * s.machine.vcpus } : t));
    },
  },
  {
    name: 'residentShare',
    describe: 'the host memory limit as a share of guest memory: machine.hostResidentMiB = value × machine.guestMemoryMiB, to a whole 4 KiB page',
    fields: () => ['machine.hostResidentMiB'],
    apply(s, value, label) {
      if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
        throw new BadInputError(`${label}: residentShare: must be a number above 0 and at most 1, got ${JSON.stringify(value)}`);
      }
      const pages = Math.max(1, Math.round(value * s.machine.guestMemoryMiB * PAGES_PER_MIB));
      s.machine = { ...s.machine, hostResidentMiB: pages * ONE_PAGE_MIB };
    },
  },
];

/** Refused as path segments: they would reach an object's prototype instead of a field. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
/** Maps keyed by an architecture, where `costs.x86.…` may name an entry the scenario does not have yet. */
const OPEN_MAPS = new Set(['costs', 'arch']);

/**
 * Checks a parameter name before any point is built: a named knob, or a path the scenario has. A
 * last segment the scenario leaves out may still be a field (machine.hostHz); one the schema does
 * not have there either is refused here, in the words of a missing group: `foo=1` failed only at
 * the first point, as "(top level): unknown field(s): foo", where `foo.bar=1` named what the
 * scenario has.
 */
export function checkParamName(base: Scenario, name: string, known?: KnownOverrides): void {
  if (NAMED_PARAMS.some((p) => p.name === name)) return;
  // Each run's seed is derived from the sweep, its point and its run: a swept `seed` was set and then
  // replaced at every point, so its axis gave the same figures everywhere.
  if (name === 'seed') throw new BadInputError('parameter "seed": each run\'s seed comes from the sweep, its point and its run, whatever the scenario\'s; ask for more seeds with --seeds N (sweep files: seeds)');
  // costs.<arch>.<key> and arch.<arch>.<key>: the keys are the architectures' (checkOverrideKeys()),
  // named here in the words of any other missing field, not as the first point's "unknown key".
  const [section, arch, key, ...rest] = name.split('.');
  if (known && (section === 'costs' || section === 'arch') && arch !== undefined && key !== undefined && rest.length === 0) {
    const arches = known[section];
    if (!Object.hasOwn(arches, arch)) throw new BadInputError(noField(name, section, arch, Object.keys(arches)));
    if (!arches[arch]!.includes(key)) throw new BadInputError(noField(name, `${section}.${arch}`, key, [...arches[arch]!].sort()));
  }
  const point = structuredClone(base) as unknown as Record<string, unknown>;
  const added = setPath(point, name, 0);
  if (!added) return;
  const unknown = issuesOf(scenarioSchema.safeParse(point).error?.issues ?? []).some(
    (i) => i.code === 'unrecognized_keys' && i.keys.includes(added.field) && i.path.join('.') === added.at.join('.'),
  );
  if (unknown) throw new BadInputError(noField(name, added.where, added.field, added.has));
}

/** Issues and the issues of each union member tried (a backing kind's fields are one member's). */
function issuesOf(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((i) => [i, ...(i.code === 'invalid_union' ? i.errors.flatMap(issuesOf) : [])]);
}

function noField(path: string, where: string, field: string, has: readonly string[]): string {
  // The named parameters stand for a path only at the top level: tasks.bg.tasksPerVcpu is no parameter.
  const named = where === 'the scenario' ? `; or a named parameter: ${NAMED_PARAMS.map((p) => p.name).join(', ')}` : '';
  return `parameter "${path}": ${where} has no field "${field}" (it has: ${has.join(', ')}${named})`;
}

/**
 * Refuses two parameters that set the same field (`tasks.memory.count` and `tasksPerVcpu`, or
 * `tasks.0.count` and `tasks.memory.count`): the one applied later overwrites the other at every
 * point, so the other's axis would mean nothing. Returns the reason, for the caller to refuse as a
 * usage error (flags) or as bad input (a sweep file); undefined when no two overlap. A parameter
 * only ever sets a leaf (a value, never a group of fields: the schema refuses that), so two
 * parameters overlap exactly when they set the same field.
 */
export function paramOverlap(base: Scenario, names: readonly string[]): string | undefined {
  const setBy = new Map<string, string>();
  for (const name of names) {
    for (const field of fieldsSetBy(base, name)) {
      const other = setBy.get(field);
      if (other !== undefined) return `parameters ${other} and ${name} both set ${field}: one would overwrite the other at every point, so its axis would mean nothing (sweep one of them)`;
      setBy.set(field, name);
    }
  }
  return undefined;
}

/** The parameter among `names` that sets `field` (as fieldOf() names it: `durationMs`, `seed`), or undefined. */
export function paramSetting(base: Scenario, names: readonly string[], field: string): string | undefined {
  return names.find((name) => fieldsSetBy(base, name).includes(field));
}

function fieldsSetBy(base: Scenario, name: string): readonly string[] {
  return named(name)?.fields(base) ?? [fieldOf(base, name)];
}

/**
 * The scenario of one point: the base with each parameter set to its value — fields first, in the
 * order given, then the named knobs (so tasksPerVcpu sees a swept machine.vcpus) — and validated.
 * `label` names the point in messages ("scenarios/overcommit.yaml with tasksPerVcpu=3").
 */
export function pointScenario(
  base: Scenario,
  assignments: readonly { readonly name: string; readonly value: SweepValue }[],
  label: string,
  known?: KnownOverrides,
): Scenario {
  const s = structuredClone(base) as MutableScenario;
  for (const a of assignments) if (!named(a.name)) setPath(s as unknown as Record<string, unknown>, a.name, a.value);
  for (const a of assignments) named(a.name)?.apply(s, a.value, label);
  redefault(base, s, new Set(assignments.map((a) => a.name)));
  checkOverrideKeys(s, label, known);
  return validateScenario(s, label);
}

/**
 * The scheduler fields the base has at their defaults are the point's defaults, for its own
 * scheduler and vCPU count: a point that swept `machine.vcpus` or `machine.scheduler` ran with the
 * base's slice (2.1 ms for 1 vCPU), and one switched from cfs to eevdf was refused for CFS knobs it
 * was never given. A field the point set, or the base gave another value, stays.
 */
function redefault(base: Scenario, point: MutableScenario, swept: ReadonlySet<string>): void {
  const was = schedulerDefaults(base.machine.vcpus, base.machine.scheduler) as Record<string, number | undefined>;
  const m = point.machine as unknown as Record<string, unknown>;
  const b = base.machine as unknown as Record<string, unknown>;
  for (const key of ['sliceUs', 'wakeupGranularityUs', 'schedLatencyUs']) {
    if (!swept.has(`machine.${key}`) && b[key] !== undefined && b[key] === was[key] && m[key] === b[key]) delete m[key];
  }
}

function named(name: string): NamedParam | undefined {
  return NAMED_PARAMS.find((p) => p.name === name);
}

/** The task groups tasksPerVcpu scales: those given by `count`, neither a job set nor pinned to a vCPU. */
function scaledGroups<T extends Scenario['tasks'][number]>(s: { readonly tasks: readonly T[] }): T[] {
  return s.tasks.filter((t) => !t.jobs && t.vcpu === undefined);
}

/**
 * The name a sweep records a parameter by: a named knob as it is, a field path as fieldOf() spells
 * it (`tasks.0.count` and `tasks.00.count` are `tasks.worker.count`), the spelling the overlap
 * check compares. The sweep's identity, and so every run's seed, is computed from it: spellings of
 * one field are one sweep, with one set of seeds. A canonical spelling is its own canonical name,
 * so its seeds are what they were before names were made canonical.
 */
export function canonicalParamName(base: Scenario, name: string): string {
  return named(name) ? name : fieldOf(base, name);
}

/**
 * The field a path sets, with each array element named by its `name` where it has one
 * (`tasks.0.count` → `tasks.memory.count`), so that two spellings of one field compare equal.
 * A field the base leaves out, or an element it does not have, keeps its segments as given.
 */
function fieldOf(base: Scenario, path: string): string {
  let node: unknown = base;
  return path
    .split('.')
    .map((seg) => {
      if (!Array.isArray(node)) {
        node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
        return seg;
      }
      const list: readonly unknown[] = node;
      const index = elementIndex(list, seg);
      node = list[index];
      return index < 0 ? seg : elementSegment(list, index);
    })
    .join('.');
}

/**
 * How a path names element `index` of a list: by its `name` where that name leads back to it (a
 * task named "1" or "a.b" would not: setPath() reads "1" as an index and splits at the dot), else
 * by its index in plain digits.
 */
function elementSegment(list: readonly unknown[], index: number): string {
  const e = list[index];
  const name = e !== null && typeof e === 'object' ? (e as { name?: unknown }).name : undefined;
  const plain = typeof name === 'string' && name !== '' && !name.includes('.') && !FORBIDDEN.has(name);
  return plain && elementIndex(list, name) === index ? name : String(index);
}

/**
 * Sets the field at a dotted path; a path the scenario does not have is refused with what it has
 * there. Where the last field was not there, says where it was added (`at`, as the schema's issues
 * give a path), for checkParamName(); else null.
 */
function setPath(root: Record<string, unknown>, path: string, value: SweepValue): { at: (string | number)[]; where: string; field: string; has: string[] } | null {
  const segments = path.split('.');
  const where = (i: number) => segments.slice(0, i).join('.') || 'the scenario';
  if (segments.some((s) => s === '')) throw new BadInputError(`parameter "${path}": empty segment in the path`);
  let node: unknown = root;
  const at: (string | number)[] = [];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (FORBIDDEN.has(seg)) throw new BadInputError(`parameter "${path}": "${seg}" is not a field`);
    const last = i === segments.length - 1;
    if (Array.isArray(node)) {
      const index = elementIndex(node, seg);
      if (index < 0) throw new BadInputError(`parameter "${path}": ${where(i)} has no element "${seg}" (give an index from 0 to ${node.length - 1}${namesOf(node)})`);
      if (last) throw new BadInputError(`parameter "${path}": names a whole element of ${where(i)}, not a field`);
      node = node[index];
      at.push(index);
      continue;
    }
    if (!node || typeof node !== 'object') throw new BadInputError(`parameter "${path}": ${where(i)} is a value, not a group of fields`);
    const obj = node as Record<string, unknown>;
    if (last) {
      // A field the scenario leaves out (machine.hostHz) may be set; the schema refuses an unknown one.
      const has = Object.keys(obj);
      obj[seg] = value;
      return has.includes(seg) ? null : { at, where: where(i), field: seg, has };
    }
    if (!Object.hasOwn(obj, seg)) {
      if (i === 1 && OPEN_MAPS.has(segments[0])) {
        obj[seg] = {};
      } else {
        throw new BadInputError(noField(path, where(i), seg, Object.keys(obj)));
      }
    }
    node = obj[seg];
    at.push(seg);
  }
  return null;
}

function elementIndex(list: readonly unknown[], seg: string): number {
  if (/^\d+$/.test(seg)) return Number(seg) < list.length ? Number(seg) : -1;
  return list.findIndex((e) => e !== null && typeof e === 'object' && (e as { name?: unknown }).name === seg);
}

function namesOf(list: readonly unknown[]): string {
  const names = list.map((e) => (e && typeof e === 'object' ? (e as { name?: unknown }).name : undefined)).filter((n): n is string => typeof n === 'string');
  return names.length ? `, or a name: ${names.join(', ')}` : '';
}

function wholeNumber(value: SweepValue, name: string, label: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BadInputError(`${label}: ${name}: must be a whole number of at least 1, got ${JSON.stringify(value)}`);
  }
  return value;
}
