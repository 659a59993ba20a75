import { describe, expect, it } from 'vitest';
import { arm64SdeiVariant, scenarioSchema, syncVariant, type ScenarioInput, type Variant } from '../../../index.js';
import type { Task } from '../../../core/guest/task.js';
import type { TaskSpec } from '../../../core/scenario/schema.js';
import { CfsRunQueue } from '../../../core/guest/cfs.js';
import { findIdlestCpu } from '../../../core/sim/jobs.js';
import type { Machine } from '../../../core/sim/machine.js';
import { Simulation } from '../../../core/sim/simulation.js';
import { runVariant } from '../../../core/run.js';

/**
 * Processes that are created and exit (facts/anchors.md §A7 "Kernel build shape"): a job set keeps
 * `concurrent` processes alive, starts one when one exits, runs `total`, and finishes when its last
 * one exits; a process's own memory comes from the guest's free pages, most recently freed first,
 * and its first touch is the guest's zero-fill, which the host sees by what it holds of the frame.
 */

interface Log {
  /** In order: a fork (with the processes alive just after it) or an exit (with its time). */
  readonly events: ({ kind: 'fork'; task: Task; alive: number } | { kind: 'exit'; task: Task; t: number })[];
  /** Guest frames read from swap (pageCluster 0: one read per frame). */
  readonly reads: number[];
}

/** The run as runVariant() makes it, watched at each fork, exit and swap read. */
function watch(input: ScenarioInput, variant: Variant = syncVariant): { sim: Simulation; log: Log } {
  const scenario = scenarioSchema.parse(input);
  const log: Log = { events: [], reads: [] };
  let alive = 0;
  class Watched extends Simulation {
    override createTask(spec: TaskSpec, vcpu: number, name: string, replaces: Task | null): Task {
      const task = super.createTask(spec, vcpu, name, replaces);
      log.events.push({ kind: 'fork', task, alive: ++alive });
      return task;
    }
    override taskExited(task: Task, t: number): void {
      alive--;
      log.events.push({ kind: 'exit', task, t });
      super.taskExited(task, t);
    }
    override onIoDone(gfn: number): void {
      if (gfn >= 0) log.reads.push(gfn);
      super.onIoDone(gfn);
    }
  }
  const backend = variant.createBackend({ costOverrides: variant.defaultCosts, knobs: variant.knobs, guestMemoryBytes: scenario.machine.guestMemoryMiB * 1024 * 1024 });
  const sim = new Watched(scenario, backend, { seed: scenario.seed });
  sim.run();
  return { sim, log };
}

const MACHINE = { vcpus: 2, guestMemoryMiB: 16, hostResidentMiB: 16 };
const BACKING = { kind: 'swap' as const, latency: { dist: 'fixed' as const, us: 10 }, pageCluster: 0 };

/** make -j3 of 10 processes of uneven length (a random compute), each touching 16 pages of its own heap. */
function build(total = 10): ScenarioInput {
  return {
    name: 'build',
    durationMs: 1000,
    machine: MACHINE,
    backing: BACKING,
    regions: [{ name: 'files', mib: 1 }],
    tasks: [
      {
        name: 'cc',
        jobs: { concurrent: 3, total },
        memory: [{ name: 'heap', mib: 16 / 256 }],
        program: [{ touch: { region: 'heap', pattern: 'sequential', pages: 16, thinkNs: 5000 } }, { touch: { region: 'files', pages: 50, thinkNs: 20_000 } }],
      },
    ],
    until: { tasks: ['cc'] },
  };
}

describe('job sets (make -jN)', () => {
  it('keep at most N processes alive, start one exactly when one exits, and run exactly M', () => {
    const { sim, log } = watch(build());
    const forks = log.events.filter((e) => e.kind === 'fork');
    expect(forks).toHaveLength(10);
    expect(Math.max(...forks.map((e) => e.alive))).toBe(3);
    // After the first three, every fork comes straight after an exit, in the same instant's work.
    log.events.forEach((e, i) => {
      if (e.kind === 'fork' && i >= 3) expect(log.events[i - 1].kind).toBe('exit');
    });
    const exits = log.events.filter((e) => e.kind === 'exit');
    expect(exits).toHaveLength(10);
    // Each process took the place of one that exited: the table holds three, the last ones, exited
    // (every exited process was kept: a set of short processes ran out of memory at 3 M of them).
    expect(sim.tasks).toHaveLength(3);
    expect(sim.tasks.every((t) => t.state === 'exited')).toBe(true);
    expect(new Set(forks.map((e) => e.task.id))).toEqual(new Set([0, 1, 2]));
    // Each process ran its program once: 16 first touches of its own heap.
    expect(sim.metrics.guestPageFaults).toBe(160);
  });

  it('finish when the last process exits: that is the set’s completion time and the end of the window', () => {
    const { log } = watch(build());
    const last = Math.max(...log.events.filter((e) => e.kind === 'exit').map((e) => (e.kind === 'exit' ? e.t : 0)));
    const r = runVariant(scenarioSchema.parse(build()), syncVariant);
    expect(r.metrics.tasks.cc).toEqual({ count: 10, finished: 10, completionNs: { mean: last, min: last, max: last }, workPerSecond: expect.any(Number) });
    expect(r.run.measuredNs).toBe(last);
    expect(r.invariants.ok).toBe(true);
    // Twice the processes take about twice as long (a set's time is its processes' work, not its first one's).
    const twice = runVariant(scenarioSchema.parse(build(20)), syncVariant).metrics.tasks.cc.completionNs!.max;
    expect(twice / last).toBeGreaterThan(1.7);
    expect(twice / last).toBeLessThan(2.3);
  });

  it('run the same way twice under memory pressure: byte-identical results (processes draw their own streams)', () => {
    const tight = { ...build(), machine: { ...MACHINE, hostResidentMiB: 1 } };
    const once = runVariant(scenarioSchema.parse(tight), arm64SdeiVariant);
    expect(once.metrics.swap.reads).toBeGreaterThan(0);
    expect(once.invariants.ok).toBe(true);
    expect(JSON.stringify(runVariant(scenarioSchema.parse(tight), arm64SdeiVariant))).toBe(JSON.stringify(once));
  });

  it('place a fork on the idlest vCPU; on a tie, the parent’s own (sched_balance_find_dst_cpu())', () => {
    const vcpu = (id: number, queued: number, running: boolean) => ({ id, runq: { length: queued }, current: running ? {} : null });
    const machine = (...vcpus: ReturnType<typeof vcpu>[]) => ({ vcpus }) as unknown as Machine;
    // The parent's vCPU 0 still has a runnable task: the idle vCPU 2 wins, not the busy vCPU 1.
    expect(findIdlestCpu(machine(vcpu(0, 1, false), vcpu(1, 0, true), vcpu(2, 0, false)), 0).id).toBe(2);
    // Nothing left on the parent's vCPU: it keeps the child, though vCPU 2 is as idle.
    expect(findIdlestCpu(machine(vcpu(0, 0, false), vcpu(1, 0, true), vcpu(2, 0, false)), 0).id).toBe(0);
    expect(findIdlestCpu(machine(vcpu(0, 2, true), vcpu(1, 0, true), vcpu(2, 1, false)), 0).id).toBe(1);
  });

  it('start a new process at the run queue’s floor (place_entity()), not at vruntime 0', () => {
    const rq = new CfsRunQueue({ sliceNs: 1, wakeupGranularityNs: 1, latencyNs: 1 });
    rq.minVruntime = 5_000_000;
    const child = { vruntime: 0 } as Task;
    rq.enqueueNew(child);
    expect(child.vruntime).toBe(5_000_000);
  });
});

describe('a process’s memory and the host', () => {
  /**
   * Two processes one after the other, each sleeping 10 ms and then writing its 64-page heap; while
   * the second sleeps, a reader streams a populated 4 MiB file through a 1 MiB host limit, so that
   * the host evicts the frames the first process freed (when `pressure`).
   */
  function reuse(pressure: boolean) {
    const reader = { name: 'reader', vcpu: 1, program: [{ touch: { region: 'file', pattern: 'sequential' as const, pages: 1, write: false, thinkNs: 1000 } }] };
    return watch({
      name: 'reuse',
      durationMs: 1000,
      machine: { vcpus: 2, guestMemoryMiB: 8, hostResidentMiB: 1 },
      backing: BACKING,
      regions: [{ name: 'file', mib: 4 }],
      tasks: [
        { name: 'p', vcpu: 0, jobs: { concurrent: 1, total: 2 }, memory: [{ name: 'heap', mib: 64 / 256 }], program: [{ sleep: { us: 10_000 } }, { touch: { region: 'heap', pattern: 'sequential', pages: 64 } }] },
        ...(pressure ? [reader] : []),
      ],
      until: { tasks: ['p'] },
    });
  }
  const heapFrames = (gfns: readonly number[]) => gfns.filter((g) => g >= 1024); // after the 4 MiB file

  it('a never-used frame is a host zero-fill; the next process gets the same frames back', () => {
    const { sim, log } = reuse(false);
    expect(sim.metrics.guestPageFaults).toBe(128);
    // 64 frames zero-filled once: the second process reused the first one's, still resident.
    expect(sim.metrics.zeroFills).toBe(64);
    expect(heapFrames(log.reads)).toEqual([]);
  });

  it('a reused frame the host swapped out costs a swap-in on the guest’s first write', () => {
    const { sim, log } = reuse(true);
    expect(sim.metrics.zeroFills).toBe(64);
    const swappedIn = heapFrames(log.reads);
    // Every frame of the second process's heap came back from swap to be cleared, each exactly once.
    expect(swappedIn).toHaveLength(64);
    expect(new Set(swappedIn).size).toBe(64);
    // From the guest kernel's clear (a kernel-mode store), not from the process's own access.
    expect(sim.metrics.guestPageFaults).toBe(128);
  });
});

describe('a job set\'s processes in traces (hostile round U)', () => {
  it('each process keeps its own number in the lab\'s events, though it took an exited one\'s slot', async () => {
    const { captureTrace } = await import('../../../core/trace-capture.js');
    // The files on swap: each process's first touches of them fault in the host (lab events name the task).
    const input = build();
    const cap = captureTrace(scenarioSchema.parse({ ...input, regions: [{ name: 'files', mib: 1, onSwap: true }] }), syncVariant, { lab: true });
    const named = new Set(cap.events.filter((e) => e.fields.task !== undefined).map((e) => e.fields.task));
    // Ten processes in three slots: the slot's number named several processes in turn.
    expect(named.size).toBeGreaterThan(3);
    expect(Math.max(...named)).toBeLessThan(10);
  });
});
