import { describe, expect, it } from 'vitest';
import { findVariant, Harness, HARNESS_FIRST_MISSING_GFN as G, runVariant, Simulation, x86Variant } from '../../../index.js';
import { idleExit } from '../../../core/sim/guest-entry.js';
import { deschedule, makeRunnable, pickNext } from '../../../core/sim/guest-sched.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * Where a woken task runs (kernel/sched/fair.c select_task_rq_fair() → select_idle_sibling()): on
 * its previous vCPU when that one is idle, else on an idle vCPU. Found by a hostile test: without
 * it, tasks an idle vCPU had pulled (sched_balance_newidle(), newidle_balance() until 7d058285cd77) woke behind the task now on their old vCPU,
 * and the vCPUs they left idled for good — x86 did 0.51× sync's work on 2 vCPUs, 0.27× on 4.
 */
function oneTaskPerVcpu(pinned: boolean) {
  return smallScenario({
    durationMs: 200,
    machine: { vcpus: 2, guestMemoryMiB: 256, hostResidentMiB: 256 },
    // Post-copy: every first touch of a source page waits ~0.1 ms for the link, so tasks sleep on APF often.
    backing: { kind: 'postcopy', rttUs: 100, bandwidthMBps: 671, push: true, dirtyShare: 0.5 },
    regions: [{ name: 'test', mib: 128 }],
    tasks: [0, 1].map((i) => ({
      name: `memory${i}`,
      ...(pinned ? { vcpu: i } : {}),
      program: [{ touch: { region: 'test', pattern: 'random', pages: 2000, thinkNs: 900 } }],
    })),
  });
}

describe('wake placement (select_idle_sibling())', () => {
  it('keeps one task per vCPU spread: APF does as much work as sync, not half', () => {
    const s = oneTaskPerVcpu(false);
    const sync = runVariant(s, findVariant('sync-x86')).metrics;
    const apf = runVariant(s, findVariant('x86')).metrics;
    // With one task per vCPU nothing else can run while a task waits: APF gains nothing, and loses
    // almost nothing. (Since x86's #PF runs its entry code, nothing moves here; the next test holds the placement.)
    expect(apf.work / sync.work).toBeGreaterThan(0.95);
  });

  it('moves a woken task whose vCPU runs another to a vCPU in HLT', () => {
    // Two tasks a vCPU (core/harness.ts). On vCPU 0, A sleeps on a not-present and B is switched in;
    // vCPU 1's two tasks sleep too, and it halts (HLT exit, mode 'idle').
    const h = new Harness(x86Variant, { vcpus: 2 });
    for (const i of [0, 1]) h.setCpu({ privilege: 'user', irqsMasked: false }, i);
    h.enter(0);
    h.enter(1);
    const [v0, v1] = [h.vcpu(0), h.vcpu(1)];
    const a = v0.current!;
    h.fault(G, 0);
    h.enter(0);
    expect(a.state).toBe('sleeping');
    h.schedule(0);
    const b = v0.current!;
    expect(b).not.toBe(a);
    for (const gfn of [G + 1, G + 2]) {
      h.fault(gfn, 1);
      h.enter(1);
      h.schedule(1);
    }
    expect([v1.current, v1.runq.length]).toEqual([null, 0]);
    idleExit(h.sim, v1);
    expect(v1.mode).toBe('idle');

    h.complete(G);
    h.enter(0);
    // select_idle_sibling(): prev (vCPU 0) runs B, so A goes to the first idle vCPU after it.
    expect([a.state, a.vcpu]).toEqual(['runnable', 1]);
    expect(v0.current).toBe(b);
  });

  it('wakes a delayed sleeper on the vCPU it is still queued on, even with a vCPU in HLT (ttwu_runnable() before select_task_rq(), Linux 6.12 core.c)', () => {
    // EEVDF, 2 vCPUs: A and B on vCPU 0, C on vCPU 1. A sleeps 10 ms of vruntime ahead of B: not
    // eligible, it stays on vCPU 0's queue (DELAY_DEQUEUE) and B runs. C sleeps and vCPU 1 halts.
    // B runs on to 40 ms, so that A is eligible by its wake: still queued, it wakes on vCPU 0,
    // placed at V (requeue_delayed_entity()), where a sleeper that had left would go to vCPU 1.
    const s = smallScenario({ machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 16, scheduler: 'eevdf' }, tasks: [{ name: 't', count: 3, program: [{ compute: { us: 500 } }] }] });
    const v = findVariant('x86');
    const sim = new Simulation(s, v.createBackend({ costOverrides: v.defaultCosts, knobs: v.knobs, guestMemoryBytes: 64 << 20 }), { seed: 1 });
    const [v0, v1] = sim.vcpus;
    for (const c of sim.vcpus) expect(pickNext(sim, c)).toBe(true);
    const a = v0.current!;
    a.vruntime = 10_000_000;
    deschedule(sim, v0, true);
    a.state = 'sleeping';
    expect([a.delayedOn, v0.runq.length]).toEqual([0, 2]);
    expect(pickNext(sim, v0)).toBe(true);
    const b = v0.current!;
    expect(b).not.toBe(a);
    deschedule(sim, v1, true).state = 'sleeping';
    v1.mode = 'idle';
    sim.idleVcpus.add(1);
    b.vruntime = 40_000_000;

    makeRunnable(sim, a);
    expect([a.vcpu, a.delayedOn, a.vruntime, v0.runq.length, v1.runq.length]).toEqual([0, -1, 40_000_000, 1, 0]);
  });

  it('leaves a pinned task on its vCPU', () => {
    const apf = runVariant(oneTaskPerVcpu(true), findVariant('x86')).metrics;
    expect(apf.migrations).toBe(0);
    const sync = runVariant(oneTaskPerVcpu(true), findVariant('sync-x86')).metrics;
    expect(apf.work / sync.work).toBeGreaterThan(0.95);
  });

  it('places a forked child once, where fork placement put it: no migration counted for it', () => {
    // wake_up_new_task() takes the WF_FORK path (core/sim/jobs.ts findIdlestCpu()), not select_idle_sibling().
    const s = smallScenario({
      durationMs: 300,
      seed: 3,
      machine: { vcpus: 8, guestMemoryMiB: 512, hostResidentMiB: 64 },
      backing: { kind: 'swap', latency: { dist: 'lognormal', us: 300, sigma: 1, minUs: 36.2, maxUs: 20000 } },
      regions: [{ name: 'sources', mib: 256, onSwap: true }],
      tasks: [
        {
          name: 'build',
          jobs: { concurrent: 2, total: 200 },
          memory: [{ name: 'heap', mib: 1 }],
          passes: 1,
          program: [{ touch: { region: 'heap', pattern: 'sequential', pages: 64 } }, { syscall: { region: 'sources', pattern: 'random', pages: 4, write: false } }, { compute: { us: 300 } }],
        },
      ],
      until: { tasks: ['build'] },
    });
    const m = runVariant(s, findVariant('sync-x86')).metrics;
    expect(m.tasks.build.finished).toBe(200); // every process of the build ran
    expect(m.migrations).toBe(0);
  });
});
