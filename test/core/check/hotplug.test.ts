import { describe, expect, it } from 'vitest';
import { findVariant } from '../../../arches/registry.js';
import { CHECK_DEFAULTS, checkVariant } from '../../../core/check/walk.js';
import { checkPages, nextSteps, playStep, type CheckStep } from '../../../core/check/steps.js';
import { drain, problemsAtRest } from '../../../core/check/at-rest.js';
import { Harness } from '../../../core/harness.js';
import { BadInputError } from '../../../core/errors.js';

/**
 * `apf-lab check --hotplug`: a CPU other than CPU 0 goes offline once, anywhere in an order, and
 * comes back once after (core/sim/cpu-hotplug.ts, the scenario `offline` / `online` events). The
 * rules are the guests' CPU-down callbacks: x86's kvm_cpu_down_prepare() (arch/x86/kernel/kvm.c:
 * interrupts off, EN = 0, then apf_task_wake_all()), v4's kvm_async_pf_cpu_offline() (gwshan/linux
 * arch/arm64/kernel/kvm.c: disable_percpu_irq() and ENABLE(0), no wake).
 */
const HOTPLUG = { ...CHECK_DEFAULTS, vcpus: 2, pages: 2, depth: 4, contexts: ['user'], hotplug: true } as const;

const USER_FAULT_ON_1: CheckStep = { kind: 'fault', vcpu: 1, gfn: 256, context: 'user' };

function played(id: string, seq: readonly CheckStep[]): Harness {
  const h = new Harness(findVariant(id), { vcpus: 2, guestMemoryMiB: 2 });
  drain(h, []);
  for (const s of seq) playStep(h, s);
  return h;
}

describe('check --hotplug: the walk', () => {
  it('offers every CPU but CPU 0 once, then only that CPU back online, once', () => {
    const bounds = { ...HOTPLUG, vcpus: 3 };
    const pages = checkPages(bounds);
    const h = played('x86', []);
    const h3 = new Harness(findVariant('x86'), { vcpus: 3, guestMemoryMiB: 2 });
    drain(h3, []);
    const first = nextSteps(h3, [], bounds, pages).filter((s) => s.kind === 'offline' || s.kind === 'online');
    expect(first).toEqual([{ kind: 'offline', vcpu: 1 }, { kind: 'offline', vcpu: 2 }]);
    const down: CheckStep[] = [{ kind: 'offline', vcpu: 1 }];
    playStep(h, down[0]);
    expect(nextSteps(h, down, HOTPLUG, pages).filter((s) => s.kind === 'offline' || s.kind === 'online')).toEqual([{ kind: 'online', vcpu: 1 }]);
    const upAgain: CheckStep[] = [...down, { kind: 'online', vcpu: 1 }];
    playStep(h, upAgain[1]);
    expect(nextSteps(h, upAgain, HOTPLUG, pages).filter((s) => s.kind === 'offline' || s.kind === 'online')).toEqual([]);
  });

  it('takes the CPU down in two entries: the task yields at the first, the CPU-down callback runs at the second', () => {
    const h = played('x86', [{ kind: 'offline', vcpu: 1 }, { kind: 'enter', vcpu: 1 }]);
    const v = h.vcpu(1);
    expect(v.current).toBeNull();
    expect(v.frames.length).toBe(1); // the callback, not run yet: a completion can still come first
    expect(v.mode).toBe('run');
    playStep(h, { kind: 'enter', vcpu: 1 });
    expect(v.mode).toBe('off');
    // Its tasks went to the lowest-numbered CPU still up (select_fallback_rq()).
    expect(h.sim.tasks.every((t) => t.vcpu === 0)).toBe(true);
  });

  it('refuses a hotplug walk on one vCPU: CPU 0 cannot go offline', () => {
    expect(() => checkVariant(findVariant('x86'), { ...HOTPLUG, vcpus: 1 })).toThrow(BadInputError);
    expect(() => checkVariant(findVariant('x86'), { ...HOTPLUG, vcpus: 1 })).toThrow(/at least 2 vCPUs/);
  });
});

describe('check --hotplug: what each design leaves behind', () => {
  it('x86: a page-ready sent in the CPU-down callback before EN = 0 leaves apf_reason.token set, and after the CPU is back no page-ready goes out (the wake-all its enable queues stays queued)', () => {
    // sysvec_kvm_asyncpf_interrupt() reads and clears the token only while async_pf_enabled, which
    // the callback has cleared; kvm_guest_cpu_init() does not clear it; the host's
    // apf_pageready_slot_free() (arch/x86/kvm/x86.c) then never sees the slot free.
    const r = checkVariant(findVariant('x86'), { ...HOTPLUG, depth: 5 });
    expect(r.findings.map((f) => f.kind)).toEqual(['work-undelivered']);
    const f = r.findings[0];
    // The read completes as a step of the order, after the task yielded and before the entry that
    // runs the callback (the drain lets a CPU finish going down before it completes reads).
    expect(f.steps.map((s) => s.kind)).toEqual(['fault', 'offline', 'enter', 'complete', 'online']);
    // Nothing is found in 4 steps: the window needs that completion.
    expect(checkVariant(findVariant('x86'), HOTPLUG).findings).toEqual([]);
  });

  it('x86: the same order with the completion after the callback has run leaves nothing: the wake-all of the offline woke the sleeper', () => {
    const h = played('x86', [USER_FAULT_ON_1, { kind: 'enter', vcpu: 1 }, { kind: 'offline', vcpu: 1 }, { kind: 'enter', vcpu: 1 }, { kind: 'enter', vcpu: 1 }]);
    expect(h.sim.tasks.some((t) => t.state === 'sleeping')).toBe(false);
    // EN = 0 waits for the read still running (cancel_work_sync() in virt/kvm/async_pf.c
    // kvm_clear_async_pf_completion_queue()): the vCPU is blocked in the host until it is done.
    expect(h.vcpu(1).mode).toBe('sync');
    playStep(h, { kind: 'complete', gfn: 256 });
    // Back in its callback, which is done: the next entry takes the CPU down.
    playStep(h, { kind: 'enter', vcpu: 1 });
    expect(h.vcpu(1).mode).toBe('off');
    playStep(h, { kind: 'online', vcpu: 1 });
    drain(h, checkPages(HOTPLUG));
    expect(problemsAtRest(h)).toEqual([]);
  });

  it('a CPU going down while blocked in a synchronous fault gets only its own page before it goes: another read completes after the CPU is down', () => {
    // v4: the kernel-mode fault on 0x101 is synchronous; once it is in, the hotplug thread runs
    // within microseconds, long before 0x100's read: ENABLE(0) drops that work and task/1, asleep
    // on it, sleeps for good (kvm_async_pf_cpu_offline() wakes no one).
    const seq: CheckStep[] = [USER_FAULT_ON_1, { kind: 'enter', vcpu: 1 }, { kind: 'fault', vcpu: 1, gfn: 257, context: 'kernel' }, { kind: 'offline', vcpu: 1 }];
    const h = played('arm64-sdei', seq);
    drain(h, checkPages(HOTPLUG));
    expect(problemsAtRest(h).map((p) => p.kind)).toEqual(['task-asleep']);
  });

  it('v4 (arm64-sdei): a sleeper of a CPU that stays down sleeps for good (its offline callback wakes no one and ENABLE(0) drops the work)', () => {
    const seq: CheckStep[] = [USER_FAULT_ON_1, { kind: 'offline', vcpu: 1 }, { kind: 'enter', vcpu: 1 }, { kind: 'enter', vcpu: 1 }];
    const h = played('arm64-sdei', seq);
    drain(h, checkPages(HOTPLUG));
    expect(problemsAtRest(h).map((p) => p.kind)).toEqual(['task-asleep']);
  });

});
