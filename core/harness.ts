import type { AsyncPfWork, Backend, GuestCall, GuestCallResult, Variant } from './backend.js';
import { BadInputError } from './errors.js';
import { HARD, overrideProblem } from './scenario/limits.js';
import { scenarioSchema, type Scenario, type ScenarioInput } from './scenario/schema.js';
import { Simulation } from './sim/simulation.js';
import { finishFrame } from './sim/guest-entry.js';
import { flushDelayedWakes } from './sim/guest-kernel.js';
import { pickNext } from './sim/guest-sched.js';
import { topFrame } from './guest/code-layout.js';
import { Vcpu } from './sim/vcpu.js';
import { finishWaiters } from './sim/async-pf-completion.js';
import { migrate } from './sim/migration.js';
import { cpuDown, cpuUp, startCpuDown, takeCpuDown } from './sim/cpu-hotplug.js';
import type { TraceSink } from './trace.js';

/**
 * A protocol harness: one small machine with a variant's backend, driven one step at a time,
 * so that a test can check a single rule — a guest call's architectural answer, what a fault
 * injects, what a completion delivers — without running a whole scenario (STYLE.md §3).
 * Guest pages 0–255 are resident; any higher gfn (up to 16383 with the default 64 MiB) is host-missing, and a read brings
 * in only the page asked for (no swap readahead).
 */
export interface HarnessOptions {
  readonly vcpus?: number;
  /** Run the guest's boot-time enable sequence (default true). */
  readonly guestInit?: boolean;
  readonly knobs?: Readonly<Record<string, number>>;
  readonly costs?: Readonly<Record<string, number>>;
  readonly trace?: TraceSink;
  /**
   * Guest memory (default 64 MiB: gfns up to 16383). A walk that replays thousands of short
   * sequences (core/check/) asks for less, so that building the machine costs little.
   */
  readonly guestMemoryMiB?: number;
}

export const HARNESS_FIRST_MISSING_GFN = 256;

/** Library input is checked where it enters, so that a mistake is named rather than a crash inside. */
function checkHarnessArgs(variant: Variant, options: HarnessOptions): void {
  if (!variant || typeof variant.createBackend !== 'function') throw new BadInputError('Harness: variant is not a variant (see VARIANTS)');
  if (typeof options !== 'object' || options === null) throw new BadInputError(`Harness: options must be an object, got ${options === null ? 'null' : typeof options}`);
  const { vcpus } = options;
  if (vcpus !== undefined && (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > HARD.vcpus)) {
    throw new BadInputError(`Harness: options.vcpus must be a whole number from 1 to ${HARD.vcpus}, got ${String(vcpus)}`);
  }
  const { guestMemoryMiB: mib } = options;
  // Pages 0–255 (1 MiB) are resident: at least one more MiB gives host-missing pages to fault on.
  if (mib !== undefined && (!Number.isInteger(mib) || mib < 2 || mib > 64)) {
    throw new BadInputError(`Harness: options.guestMemoryMiB must be a whole number from 2 to 64, got ${String(mib)}`);
  }
  checkCostOverrides(variant, options.costs);
}

/** Cost overrides as a scenario's `costs.<arch>` takes them (the rule run.ts applies: overrideProblem()). */
function checkCostOverrides(variant: Variant, costs: HarnessOptions['costs']): void {
  if (costs === undefined) return;
  for (const [key, value] of Object.entries(costs)) {
    const problem = overrideProblem(variant.defaultCosts, key, value, true);
    if (problem) throw new BadInputError(`Harness: options.costs.${key}: ${problem}`);
  }
}

/**
 * The harness's machine as a scenario, parsed once per size: a walk (core/check/) builds thousands
 * of harnesses, and parsing is most of what a small one costs. The simulator only reads it.
 */
const scenarios = new Map<string, Scenario>();

function harnessScenario(vcpus: number, mib: number): Scenario {
  const key = `${vcpus}/${mib}`;
  let scenario = scenarios.get(key);
  if (scenario === undefined) {
    const input: ScenarioInput = {
      name: 'harness',
      durationMs: 1000,
      // CFS: a protocol step that forces a resched (core/check/at-rest.ts) gets the switch it asks
      // for; EEVDF would keep a task inside its slice on the CPU.
      machine: { vcpus, guestMemoryMiB: mib, hostResidentMiB: 1, scheduler: 'cfs' },
      // One page per read (no readahead), so that a test controls every page it completes.
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 }, queueDepth: 64, pageCluster: 0 },
      regions: [{ name: 'mem', mib }],
      tasks: [{ name: 'task', count: 2 * vcpus, program: [{ touch: { region: 'mem' } }] }],
    };
    scenario = scenarioSchema.parse(input);
    scenarios.set(key, scenario);
  }
  return scenario;
}

function ownerOf(w: AsyncPfWork | Vcpu): number {
  return w instanceof Vcpu ? w.id : w.vcpu;
}

export class Harness<S = unknown> {
  readonly sim: Simulation;
  readonly backend: Backend<S>;

  constructor(variant: Variant, options: HarnessOptions = {}) {
    checkHarnessArgs(variant, options);
    const mib = options.guestMemoryMiB ?? 64;
    const scenario = harnessScenario(options.vcpus ?? 1, mib);
    this.backend = variant.createBackend({
      costOverrides: { ...variant.defaultCosts, ...options.costs },
      knobs: { ...variant.knobs, ...options.knobs },
      guestMemoryBytes: mib << 20,
    }) as Backend<S>;
    this.sim = new Simulation(scenario, this.backend as Backend, { seed: 1, trace: options.trace });
    this.sim.boot(options.guestInit ?? true);
    for (const v of this.sim.vcpus) {
      v.current = v.runq.pickNext() ?? null;
      if (v.current) v.current.state = 'running';
    }
  }

  vcpu(i = 0): Vcpu<S> {
    const n = this.sim.vcpus.length;
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new BadInputError(`Harness: vCPU ${String(i)} does not exist: the harness has vCPUs 0 to ${n - 1} (options.vcpus)`);
    }
    return this.sim.vcpus[i] as Vcpu<S>;
  }

  /** The guest issues a call (an exit): the backend's architectural answer. */
  call(call: GuestCall, i = 0): GuestCallResult {
    return this.vcpu(i).guest.call(call);
  }

  /** Put the guest of vCPU `i` in user or kernel mode, interrupts masked or not, preemption off or not. */
  setCpu(state: { privilege?: 'user' | 'kernel'; irqsMasked?: boolean; preemptDisabled?: boolean }, i = 0): void {
    this.vcpu(i).forced = { ...this.vcpu(i).forced, ...state };
  }

  /** The current task of vCPU `i` touches `gfn`, which must be host-missing: a stage-2 fault. */
  fault(gfn: number, i = 0): void {
    const pages = this.sim.memory.guestPages;
    if (!Number.isInteger(gfn) || gfn < 0 || gfn >= pages) {
      throw new BadInputError(`Harness.fault: gfn must be a guest page, a whole number from 0 to ${pages - 1}, got ${String(gfn)}`);
    }
    // A resident page takes no stage-2 fault: the protocol under test would never start.
    if (this.sim.memory.isResident(gfn)) {
      throw new BadInputError(`Harness.fault: gfn ${gfn} is resident, and the page must be host-missing (gfns ${HARNESS_FIRST_MISSING_GFN} to ${pages - 1} are, until complete() brings one in)`);
    }
    const v = this.vcpu(i);
    if (v.mode === 'off') throw new BadInputError(`Harness.fault: CPU ${v.id} is offline: no task runs there`);
    if (v.mode !== 'run') throw new BadInputError(`Harness.fault: vCPU ${v.id} is not running guest code (${v.mode === 'sync' ? 'blocked in a synchronous fault' : v.mode === 'halt' ? 'halted in the host' : 'idle'}): complete() its page or enter() it first`);
    if (!v.current) throw new BadInputError(`Harness.fault: vCPU ${v.id} has no current task (schedule() picks one)`);
    v.current.nextPage = gfn;
    this.sim.stage2Fault(v, gfn);
  }

  /** Works and synchronous faults whose read ended but which have not finished yet (completeFor()). */
  private readonly late = new Map<number, (AsyncPfWork | Vcpu)[]>();

  /** The backing store finishes reading `gfn` now, and every work and fault waiting on it finishes. */
  complete(gfn: number): void {
    if (this.sim.ioWaiters.get(gfn) !== undefined) this.sim.onIoDone(gfn);
    const late = this.late.get(gfn);
    this.late.delete(gfn);
    if (late !== undefined) finishWaiters(this.sim, late);
  }

  /**
   * Only vCPU `i`'s work (or synchronous fault) on `gfn` finishes. Each vCPU's work is a work item
   * of its own (virt/kvm/async_pf.c async_pf_execute()): the first to finish ends the read and maps
   * the page, the others finish later, each at its own completeFor() or complete().
   */
  completeFor(gfn: number, i: number): void {
    this.vcpu(i);
    const reading = this.sim.ioWaiters.get(gfn);
    const waiting = reading ?? this.late.get(gfn) ?? [];
    const mine = waiting.filter((w) => ownerOf(w) === i);
    const rest = waiting.filter((w) => ownerOf(w) !== i);
    if (rest.length > 0) this.late.set(gfn, rest);
    else this.late.delete(gfn);
    if (reading === undefined) return finishWaiters(this.sim, mine);
    this.sim.ioWaiters.set(gfn, mine);
    this.sim.onIoDone(gfn);
  }

  /** The vCPUs with a work or a synchronous fault still waiting on `gfn`, in id order. */
  waitingOn(gfn: number): number[] {
    const all = [...(this.sim.ioWaiters.get(gfn) ?? []), ...(this.late.get(gfn) ?? [])];
    return [...new Set(all.map(ownerOf))].sort((a, b) => a - b);
  }

  /**
   * vCPU `i` enters the guest after an exit: requests, the injected event, interrupts, return to
   * user; then the exception code that queued runs through (entry, handler, way out), and every
   * interrupt still deliverable is taken the same way, as the run loop would between two exits.
   */
  enter(i = 0): void {
    const v = this.vcpu(i);
    v.exited = true;
    this.sim.enterGuest(v);
    for (let guard = 0; guard < 64 && v.mode === 'run'; guard++) {
      this.runExceptionCode(v);
      if (v.mode !== 'run' || v.guestHalted || !(v.hasDeliverableIrq() || v.injected || v.irqException)) return;
      this.sim.enterGuest(v);
    }
  }

  /**
   * The guest's scheduler on vCPU `i`, where a task that went to sleep (a not-present's
   * schedule()) left it with none: the next runnable task is switched in, its context switch run
   * through; with none runnable the vCPU idles, which finishes a design's delayed wakes first (as
   * the run loop's goIdle() does) and stays entered, so that an interrupt can still be taken.
   */
  schedule(i = 0): void {
    const v = this.vcpu(i);
    if (v.mode !== 'run' || v.current !== null || v.frames.length > 0) return;
    if (v.goingDown) return this.hotplugThread(v);
    if (pickNext(this.sim, v)) this.runExceptionCode(v);
    else flushDelayedWakes(this.sim, v);
  }

  /**
   * The hotplug thread where a CPU going down would pick its next task (core/sim/cpu-hotplug.ts):
   * its CPU-down callback is put on the stack and left there, so that a completion can come
   * before the entry that runs it (the callback's stretch with interrupts off, where the host may
   * send a page-ready); once it has run, the CPU is taken down. The task's forced context (a
   * fault's) is the task's: the hotplug thread runs in its own.
   */
  private hotplugThread(v: Vcpu<S>): void {
    v.forced = null;
    if (!v.down) startCpuDown(this.sim, v);
    else takeCpuDown(this.sim, v);
  }

  /**
   * `echo 0 > /sys/devices/system/cpu/cpuN/online` for vCPU `i` (a scenario `offline` event): its
   * task yields at its next entry (the reschedule IPI), the hotplug thread then runs there.
   */
  offline(i: number): void {
    const v = this.vcpu(i);
    if (v.id === 0) throw new BadInputError('Harness.offline: CPU 0 cannot go offline (e59e74dc48a3)');
    if (v.goingDown || v.mode === 'off') throw new BadInputError(`Harness.offline: CPU ${i} is already going down or down`);
    cpuDown(this.sim, v);
  }

  /** `echo 1 > …/online`: the CPU comes back from reset, or, still on its way down, once it is down. */
  online(i: number): void {
    const v = this.vcpu(i);
    if (!v.goingDown && v.mode !== 'off') throw new BadInputError(`Harness.online: CPU ${i} is up`);
    cpuUp(this.sim, v);
  }

  /** Run the kernel frames of what is on vCPU `v` to their end, at once (a halted wait stops it). */
  private runExceptionCode(v: Vcpu<S>): void {
    for (let guard = 0; guard < 1000 && v.mode === 'run'; guard++) {
      const f = topFrame(v.frames);
      if (f === undefined || f.haltToken >= 0) return;
      f.idx = f.phases.length;
      finishFrame(this.sim, v);
    }
  }

  /**
   * A live migration's switchover now (a scenario `migrate` event): every vCPU leaves its
   * source-only state behind and the VMM restores the rest (core/sim/migration.ts). Works still
   * reading finish later as dropped ones do, mapping their page and telling no one.
   */
  migrate(): void {
    migrate(this.sim);
  }

  exits(): Readonly<Record<string, number>> {
    return this.sim.metrics.exits.toJSON();
  }
}
