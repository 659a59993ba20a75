/**
 * x86 CPU hotplug, the backend's three hooks (a scenario `offline` / `online` event; whole runs are
 * in test/core/sim/cpu-hotplug.test.ts). Down: kvm_guest_cpu_offline() writes EN = 0, then
 * apf_task_wake_all() (arch/x86/kernel/kvm.c; facts/x86.md §3 "Offline"). INIT: kvm_vcpu_reset()
 * resets the LAPIC, zeroes EN and INT, drops the queue, and leaves pageready_pending alone
 * (arch/x86/kvm/x86.c). Up: kvm_guest_cpu_init() as at boot, whose EN write queues a wake-all.
 */
import { describe, expect, it } from 'vitest';
import { booted, bootedSleeper, exitCount, G, MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT, rdmsr } from './helpers.js';

const EN_EXIT = 'MSR_WRITE(ASYNC_PF_EN)';

describe('x86: CPU hotplug', () => {
  it('down: EN = 0 (the host drops the work), then every sleeper of the CPU is woken', () => {
    const { h, v, task } = bootedSleeper();
    expect(task.state).toBe('sleeping');
    const en = exitCount(h, EN_EXIT);

    h.sim.backend.guestCpuOffline(v);

    expect(exitCount(h, EN_EXIT)).toBe(en + 1);
    expect(v.state.msrEnVal).toBe(0n);
    expect(v.state.guest.asyncPfEnabled).toBe(false);
    expect(v.queued).toBe(0);
    expect(task.state).toBe('runnable');
    expect(h.sim.monitor.violations).toEqual([]);
  });

  it('INIT: the LAPIC drops a held page-ready; EN and INT read 0; pageready_pending stays', () => {
    const h = booted();
    const v = h.vcpu();
    h.fault(G);
    h.enter();
    h.complete(G);
    h.setCpu({ privilege: 'user', irqsMasked: true });
    h.enter(); // page-ready raised; IF=0 holds it
    expect(v.irqLine(v.state.vec)?.pending).toBe(true);

    h.sim.backend.vcpuReset(v);

    expect(v.irqLine(v.state.vec)?.pending).toBe(false);
    expect(rdmsr(h, MSR_KVM_ASYNC_PF_EN)).toEqual({ kind: 'ok', regs: [0n] });
    expect(rdmsr(h, MSR_KVM_ASYNC_PF_INT)).toEqual({ kind: 'ok', regs: [0n] });
    expect(v.queued).toBe(0);
    expect(v.state.pagereadyPending).toBe(true);
  });

  it('up: the guest enables again, and the enable queues a wake-all', () => {
    const h = booted();
    const v = h.vcpu();
    h.sim.backend.guestCpuOffline(v);
    h.sim.backend.vcpuReset(v);
    const wakeAlls = h.sim.metrics.wakeupAll;

    h.sim.backend.guestCpuOnline(v);

    expect(v.state.guest.asyncPfEnabled).toBe(true);
    expect(v.state.msrEnVal & 1n).toBe(1n);
    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls + 1);
  });
});
