import { describe, expect, it } from 'vitest';
import { findVariant, runVariant, scenarioSchema, type ScenarioInput } from '../../../index.js';

/**
 * Where a task that used its slice yields, by machine.preemption (core/sim/guest-sched.ts
 * maybeResched(); kernel/entry/common.c exit_to_user_mode_loop(), irqentry_exit(),
 * include/linux/preempt.h preempt_enable(), kernel/sched/core.c __cond_resched()). Found by a
 * hostile run: `voluntary` behaved as `full` while a system call's access waited for its page,
 * a task made of system calls alone never yielded under `none`, and one made of preemptoff
 * sections never under `full`.
 */
function oneVcpu(preemption: 'none' | 'voluntary' | 'full', tasks: ScenarioInput['tasks'], latencyUs = 100) {
  return scenarioSchema.parse({
    name: `preempt-${preemption}`,
    durationMs: 200,
    machine: { vcpus: 1, guestMemoryMiB: 1024, hostResidentMiB: 64, preemption },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: latencyUs }, pageCluster: 0 },
    regions: [{ name: 'a', mib: 512 }],
    tasks,
  });
}
const sync = findVariant('sync-x86');

describe('preemption points', () => {
  // Two tasks, each a one-page system call (10 ms read) then 100 µs of compute: the tick that
  // comes during a read finds the slice used. Returning from it into the access is a preemption
  // point under `full` only (preempt_schedule_irq()); under `voluntary` and `none` the access
  // completes first, so no fault waits for the other task's slice.
  const readers = [{ name: 's', count: 2, program: [{ syscall: { region: 'a', pattern: 'random' as const, pages: 1 } }, { compute: { us: 100 } }] }];
  it.each([
    ['none', 10],
    ['voluntary', 10],
    ['full', 20],
  ] as const)('%s: a system call\'s access interrupted by the tick completes before a switch unless `full` (p50 ≈ %d ms)', (preemption, ms) => {
    const m = runVariant(oneVcpu(preemption, readers, 10_000), sync).metrics;
    expect(m.apf.faults).toBeGreaterThan(10);
    expect(m.faultLatencyNs.p50! / 1e6).toBeCloseTo(ms, 0);
  });

  it('none: a task made of system calls yields on its way back to user all the same', () => {
    const tasks = [
      { name: 'k', program: [{ syscall: { region: 'a', pattern: 'random' as const, pages: 1, thinkNs: 1000 } }] },
      { name: 'c', program: [{ compute: { us: 1000 } }] },
    ];
    const m = runVariant(oneVcpu('none', tasks), sync).metrics;
    expect(m.workByTask.c / m.work).toBeGreaterThan(0.4);
    expect(m.workByTask.k).toBeGreaterThan(0);
  });

  it.each([
    ['full', true],
    ['voluntary', false],
  ] as const)('%s: preempt_enable() at the end of a preemptoff section is a preemption point: %s', (preemption, yields) => {
    const tasks = [
      { name: 'k', program: [{ preemptoff: { us: 50 } }] },
      { name: 'c', program: [{ compute: { us: 1000 } }] },
    ];
    const m = runVariant(oneVcpu(preemption, tasks), sync).metrics;
    // c's share of the vCPU: about half when the kernel loop yields, nothing when it never does.
    const share = (m.workByTask.c ?? 0) / 200_000;
    if (yields) expect(share).toBeGreaterThan(0.4);
    else expect(share).toBe(0);
  });

  it.each([
    ['full', true],
    ['voluntary', false],
  ] as const)('%s: put_cpu() after a cross-call is a preemption point: %s', (preemption, yields) => {
    // A sender pinned to vCPU 0 loops: a call-function IPI to vCPU 1 (preemption off while it waits),
    // then an interrupts-off section. Only the cross-call's end can let `other` run (hostile run:
    // the flag of that point outlived it and switched the sender out with interrupts off).
    const s = scenarioSchema.parse({
      name: `ipi-${preemption}`,
      durationMs: 200,
      machine: { vcpus: 2, guestMemoryMiB: 256, hostResidentMiB: 256, hz: 1000, preemption },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 } },
      regions: [{ name: 'heap', mib: 16 }],
      tasks: [
        { name: 'sender', vcpu: 0, program: [{ ipi: { target: 1, handlerUs: 20 } }, { irqoff: { us: 0, touch: { region: 'heap', pattern: 'sequential', pages: 1000 } } }] },
        { name: 'other', vcpu: 0, program: [{ compute: { us: 500 } }] },
        { name: 'away', vcpu: 1, program: [{ compute: { us: 500 } }] },
      ],
    });
    const share = (runVariant(s, sync).metrics.workByTask.other ?? 0) / 200_000;
    if (yields) expect(share).toBeGreaterThan(0.4);
    else expect(share).toBe(0);
  });
});
