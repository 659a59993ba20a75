import { ScenarioError } from './error.js';
import { estimateEvents } from './estimate.js';
import { costValueProblem, HARD, MAX_INTERVAL_US, PAGES_PER_MIB, SIZE } from './limits.js';
import type { LatencySpec, Scenario } from './schema.js';
import { longestDrawUs, loopNs, tasksAtOnce } from './task-load.js';

/** Per architecture, the keys `costs.<arch>` and `arch.<arch>` may use (from the registered variants). */
export interface KnownOverrides {
  readonly costs: Readonly<Record<string, readonly string[]>>;
  readonly arch: Readonly<Record<string, readonly string[]>>;
}

/**
 * Checks `costs` and `arch` on the raw YAML data, before the schema: a zod record drops a
 * `__proto__` key that YAML made an own property, and `in` would find `toString` on any object.
 */
export function checkOverrideKeys(raw: unknown, file: string, known: KnownOverrides | undefined): void {
  if (!isPlainObject(raw)) return;
  for (const section of ['costs', 'arch'] as const) {
    const byArch = raw[section];
    if (!isPlainObject(byArch)) continue;
    const knownArches = known ? known[section] : undefined;
    for (const arch of Object.keys(byArch)) {
      const field = `${section}.${arch}`;
      if (knownArches && !Object.hasOwn(knownArches, arch)) throw unknownKey(file, field, 'architecture', Object.keys(knownArches));
      if (!knownArches && reserved(arch)) throw unknownKey(file, field, 'architecture', []);
      const entries = byArch[arch];
      if (!isPlainObject(entries)) continue;
      for (const key of Object.keys(entries)) checkEntry(file, `${field}.${key}`, key, entries[key], knownArches?.[arch], section === 'costs');
    }
  }
}

function checkEntry(file: string, field: string, key: string, value: unknown, knownKeys: readonly string[] | undefined, isCost: boolean): void {
  if (knownKeys ? !knownKeys.includes(key) : reserved(key)) throw unknownKey(file, field, 'key', knownKeys ?? []);
  if (typeof value !== 'number') return; // the schema names the wrong type
  const problem = isCost ? costValueProblem(key, value) : Number.isFinite(value) ? null : `${value} is not a finite number`;
  if (problem) throw new ScenarioError(file, field, problem);
}

function unknownKey(file: string, field: string, what: string, knownList: readonly string[]): ScenarioError {
  const list = knownList.length ? ` (known: ${[...knownList].sort().join(', ')})` : '';
  return new ScenarioError(file, field, `unknown ${what}${list}`);
}

/** Names every object inherits: never a cost, a knob or an architecture. */
function reserved(key: string): boolean {
  return key === '__proto__' || key in Object.prototype;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Beyond the 2 MiB minimum (MIN_GUEST_MIB), a guest holds a page of its kernel's per-CPU data per
 * vCPU above 1.5 MiB: x86-ve's #VE information pages lie there, 4 KiB a vCPU (a 2 MiB guest had
 * none for vCPUs 128 and up, which then ran as plain x86 without a word). Linux's own per-CPU
 * areas are larger still.
 */
const PER_CPU_FLOOR_MIB = 1.5;
const PER_CPU_PAGE_MIB = 1 / 256;

/** Rules that span fields: totals, distribution tails, programs that take no time. */
export function checkScenarioBounds(s: Scenario, file: string): void {
  const tasks = s.tasks.reduce((n, t) => n + tasksAtOnce(t), 0);
  if (tasks > HARD.tasks) throw new ScenarioError(file, 'tasks', `${tasks} tasks in all: at most ${HARD.tasks} (task ids are 32-bit in the engine, and each task has its own state)`);
  const perCpuMiB = PER_CPU_FLOOR_MIB + s.machine.vcpus * PER_CPU_PAGE_MIB;
  if (s.machine.guestMemoryMiB < perCpuMiB) {
    throw new ScenarioError(file, 'machine.guestMemoryMiB', `${s.machine.guestMemoryMiB} MiB cannot hold the guest kernel's per-CPU data of ${s.machine.vcpus} vCPUs (a 4 KiB page each above 1.5 MiB): at least ${perCpuMiB} MiB`);
  }
  if (s.backing.kind === 'swap') {
    checkLatencyTail(s.backing.latency, file);
    const l = s.backing.latency;
    if (l.maxUs !== undefined && l.minUs > l.maxUs) {
      throw new ScenarioError(file, 'backing.latency', `minUs ${l.minUs} is above maxUs ${l.maxUs}: no latency can be drawn`);
    }
    // A fixed latency outside its own bounds would be silently served as the bound instead.
    if (l.dist === 'fixed' && (l.us < l.minUs || (l.maxUs !== undefined && l.us > l.maxUs))) {
      const bound = l.us < l.minUs ? `below minUs ${l.minUs}` : `above maxUs ${l.maxUs}`;
      throw new ScenarioError(file, 'backing.latency', `the fixed latency us ${l.us} is ${bound}: every read would take the bound instead; set us (a fixed latency needs no minUs or maxUs)`);
    }
    // Likewise a bound past the median of a drawn latency: most reads would take the bound.
    if (l.dist !== 'fixed') {
      const median = l.dist === 'lognormal' ? l.us : l.us * Math.LN2;
      const what = `the ${l.dist} latency's median ${l.dist === 'lognormal' ? `(us) ${l.us}` : `(us × ln 2) ${Number(median.toPrecision(6))}`} µs`;
      if (l.maxUs !== undefined && l.maxUs < median) {
        throw new ScenarioError(file, 'backing.latency', `maxUs ${l.maxUs} is below ${what}: more than half the reads would take maxUs instead; raise maxUs or lower us`);
      }
      if (l.minUs > median) {
        throw new ScenarioError(file, 'backing.latency', `minUs ${l.minUs} is above ${what}: more than half the reads would take minUs instead; lower minUs or raise us`);
      }
    }
  }
  s.tasks.forEach((t, i) => {
    if (loopNs(t.program, s) < 1) {
      throw new ScenarioError(file, `tasks[${i}].program`, 'one pass takes no simulated time (no compute, sleep, irqoff or preemptoff time, and touchNs + thinkNs is 0): the task would spin forever at one instant');
    }
  });
}

/**
 * The largest latency the swap device can draw must stay within one hour (README "Limits"):
 * without maxUs a wide lognormal can draw years, past the exact range of time.
 */
function checkLatencyTail(l: LatencySpec, file: string): void {
  const largest = longestDrawUs(l);
  if (largest > MAX_INTERVAL_US) {
    const how = l.dist === 'fixed' ? 'lower us' : 'set maxUs, or lower us or sigma';
    throw new ScenarioError(file, 'backing.latency', `the longest possible draw is ${largest.toExponential(4)} µs, more than ${MAX_INTERVAL_US} µs (one hour): ${how}`);
  }
}

/**
 * Refuses a scenario larger than a laptop runs in minutes (SIZE), naming the limit and how to
 * raise it (`raise` is the caller's instruction, e.g. a command-line option).
 */
export function checkScenarioSize(s: Scenario, file: string, raise: string): void {
  const tasks = s.tasks.reduce((n, t) => n + tasksAtOnce(t), 0);
  const pages = Math.round(s.machine.guestMemoryMiB * PAGES_PER_MIB);
  const events = estimateEvents(s);
  const over = (field: string, what: string, limit: string) => new ScenarioError(file, field, `${what}, more than the ${limit} a laptop runs in minutes; ${raise}`);
  if (s.machine.vcpus > SIZE.vcpus) throw over('machine.vcpus', `${s.machine.vcpus} vCPUs`, `${SIZE.vcpus}`);
  if (tasks > SIZE.tasks) throw over('tasks', `${tasks} tasks`, `${SIZE.tasks}`);
  if (pages > SIZE.guestPages) throw over('machine.guestMemoryMiB', `${pages} guest pages`, `${SIZE.guestPages} (64 GiB)`);
  if (events > SIZE.expectedEvents) throw over('durationMs', `about ${events.toExponential(1)} events expected`, `${SIZE.expectedEvents.toExponential(0)}`);
}
