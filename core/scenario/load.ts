import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { BadInputError } from '../errors.js';
import { scenarioSchema, type Scenario } from './schema.js';

/** Bad input in a scenario: the message names the file, the field and the problem. */
export class ScenarioError extends BadInputError {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${problem}`);
    this.name = 'ScenarioError';
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** Built-in scenarios ship in the package's top-level scenarios/ (two levels up from dist/core/scenario). */
export function builtinScenarioDir(): string {
  for (const up of ['../../scenarios', '../../../scenarios']) {
    const dir = resolve(here, up);
    if (existsSync(dir)) return dir;
  }
  return resolve(here, '../../scenarios');
}

export const DEFAULT_SCENARIO = 'overcommit';

/** Resolves a built-in name ("overcommit") or a path to a YAML file, and validates it. */
export function loadScenario(nameOrFile: string = DEFAULT_SCENARIO): Scenario {
  const builtin = join(builtinScenarioDir(), `${nameOrFile}.yaml`);
  const file = /[/\\]|\.ya?ml$/.test(nameOrFile) ? nameOrFile : builtin;
  if (!existsSync(file)) {
    throw new ScenarioError(nameOrFile, '', `no such scenario file or built-in name (built-ins: ${listBuiltinScenarios().join(', ')})`);
  }
  return parseScenario(readFileSync(file, 'utf8'), file === builtin ? `scenarios/${basename(file)}` : file);
}

export function listBuiltinScenarios(): string[] {
  const dir = builtinScenarioDir();
  if (!existsSync(dir)) return [];
  return readdirNames(dir);
}

function readdirNames(dir: string): string[] {
  // Sorted so that `list` output never depends on the file system's order.
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** Parses and validates scenario text; `file` is only used in messages. */
export function parseScenario(text: string, file: string): Scenario {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    const what = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ScenarioError(file, where, `YAML syntax: ${what}`);
  }
  const raw: unknown = doc.toJS();
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ScenarioError(file, fieldPath(issue.path), describeIssue(issue));
  }
  checkReferences(parsed.data, file);
  return normalise(parsed.data);
}

/** Free-form maps come back in the file's key order; sort them so results never depend on it. */
function normalise(s: Scenario): Scenario {
  const sortRecord = <T>(r: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
  return {
    ...s,
    costs: Object.fromEntries(Object.keys(s.costs).sort().map((k) => [k, sortRecord(s.costs[k])])),
    arch: Object.fromEntries(Object.keys(s.arch).sort().map((k) => [k, sortRecord(s.arch[k])])),
  };
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union') return 'not a valid step: expected exactly one of compute, touch, syscall, irqoff, sleep with its fields';
  return issue.message;
}

/** Cross-field rules the schema cannot express: names must resolve and memory must fit. */
function checkReferences(s: Scenario, file: string): void {
  const regionNames = new Set<string>();
  s.regions.forEach((r, i) => {
    if (regionNames.has(r.name)) throw new ScenarioError(file, `regions[${i}].name`, `duplicate region "${r.name}"`);
    regionNames.add(r.name);
  });
  const totalMiB = s.regions.reduce((sum, r) => sum + r.mib, 0);
  if (totalMiB > s.machine.guestMemoryMiB) {
    throw new ScenarioError(file, 'regions', `regions need ${totalMiB} MiB but machine.guestMemoryMiB is ${s.machine.guestMemoryMiB}`);
  }
  if (s.machine.hostResidentMiB > s.machine.guestMemoryMiB) {
    throw new ScenarioError(file, 'machine.hostResidentMiB', 'larger than machine.guestMemoryMiB: nothing would ever be swapped');
  }
  s.tasks.forEach((t, ti) => {
    if (t.vcpu !== undefined && t.vcpu >= s.machine.vcpus) {
      throw new ScenarioError(file, `tasks[${ti}].vcpu`, `vCPU ${t.vcpu} does not exist (machine.vcpus is ${s.machine.vcpus})`);
    }
    t.program.forEach((step, si) => {
      const touch = 'touch' in step ? step.touch : 'syscall' in step ? step.syscall : 'irqoff' in step ? step.irqoff.touch : undefined;
      const kind = Object.keys(step)[0];
      if (touch && !regionNames.has(touch.region)) {
        const field = kind === 'irqoff' ? `tasks[${ti}].program[${si}].irqoff.touch.region` : `tasks[${ti}].program[${si}].${kind}.region`;
        throw new ScenarioError(file, field, `unknown region "${touch.region}" (known: ${[...regionNames].join(', ')})`);
      }
    });
  });
}
