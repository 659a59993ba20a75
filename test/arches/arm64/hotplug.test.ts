/**
 * arm64 CPU hotplug on v4's ABI, the backend's hooks (whole runs: test/core/sim/cpu-hotplug.test.ts).
 * Down: v4's kvm_async_pf_cpu_offline() is disable_percpu_irq() and the ENABLE call with 0, which
 * drops the host's queue; nothing wakes the CPU's sleepers (gwshan/linux v4, arch/arm64/kernel/kvm.c).
 * Up: the enable again, whose host side queues a wake-all that empties the CPU's table.
 */
import { describe, expect, it } from 'vitest';
import { findVariant } from '../../../arches/registry.js';
import { drain, problemsAtRest } from '../../../core/check/at-rest.js';
import { playStep, type CheckStep } from '../../../core/check/steps.js';
import { Harness } from '../../../core/harness.js';
import type { Arm64VcpuState } from '../../../arches/arm64/state.js';
import { GFN_A, readyHarness } from './helpers.js';

describe('arm64-sdei: CPU hotplug', () => {
  it('down: the host drops the work and the sleeper stays asleep; up: the wake-all wakes it', () => {
    const h = readyHarness();
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = v.current!;
    h.fault(GFN_A);
    h.enter(); // the SDEI event: the task sleeps at its return to user
    expect(task.state).toBe('sleeping');

    h.sim.backend.guestCpuOffline(v);
    expect(v.state.guest.enabled).toBe(false);
    expect(v.state.enabled).toBe(false);
    expect(v.queued).toBe(0);
    h.complete(GFN_A);
    expect(task.state).toBe('sleeping');

    h.sim.backend.vcpuReset(v); // PSCI CPU_ON: kvm_reset_vcpu() touches no async-PF state
    expect(v.state.enabled).toBe(false);
    const wakeAlls = h.sim.metrics.wakeupAll;
    h.sim.backend.guestCpuOnline(v);
    expect(v.state.guest.enabled).toBe(true);
    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls + 1);
    h.enter();
    h.enter();

    expect(task.state).toBe('runnable');
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

describe('arm64-sdei: the CPU-hotplug callbacks exist only once kvm_async_pf_init() registered them', () => {
  // cpuhp_setup_state_nocalls() comes after discovery and the SDEI/PPI setup; an init that stopped
  // before it (a host without the feature) leaves no callback to run: no call, no exit.
  it('a guest whose init stopped early makes no call when a CPU goes down or comes up', () => {
    const h = readyHarness({ knobs: { apfCapability: 0 } });
    const v = h.vcpu();
    expect(v.state.guest.hotplugCallbacks).toBe(false);
    const exits = JSON.stringify(h.exits());
    h.sim.backend.guestCpuOffline(v);
    h.sim.backend.guestCpuOnline(v);
    expect(JSON.stringify(h.exits())).toBe(exits);
    expect(v.state.guest.enabled).toBe(false);
  });

  it('after its disable, the SDEI driver unregisters the private event and masks the PE; before its enable it registers, enables and unmasks (sdei_cpuhp_down()/_up())', () => {
    const h = readyHarness();
    const v = h.vcpu();
    const event = () => v.state.sdei.events.get(v.state.guest.sdeiNum)!;
    expect(v.state.guest.hotplugCallbacks).toBe(true);
    h.sim.backend.guestCpuOffline(v);
    expect(v.state.sdei.peMasked).toBe(true);
    expect(event()).toMatchObject({ registered: false, enabled: false });
    h.sim.backend.guestCpuOnline(v);
    expect(v.state.sdei.peMasked).toBe(false);
    expect(event()).toMatchObject({ registered: true, enabled: true });
    // The host's ENABLE asks for a registered SDEI event: without the re-register it would refuse.
    expect(v.state.guest.enabled).toBe(true);
  });
});

describe('v4: disable_percpu_irq() comes first in the CPU-down callback (kvm_async_pf_cpu_disable(), gwshan/linux arch/arm64/kernel/kvm.c)', () => {
  // A page-ready the host sends after the redistributor write stays pending on the disabled PPI:
  // the ENABLE(0) after it drops the queue, not the unacked page-ready; the sleeper stays asleep
  // while the CPU is down. enable_percpu_irq() at online takes it: the sleeper wakes.
  it('a page-ready sent in the callback stays pending on the disabled line until the CPU comes back', () => {
    const h = new Harness<Arm64VcpuState>(findVariant('arm64-sdei'), { vcpus: 2, guestMemoryMiB: 2 });
    drain(h, []);
    const v1 = h.vcpu(1);
    const task = v1.current!;
    const steps: CheckStep[] = [
      { kind: 'fault', vcpu: 1, gfn: 256, context: 'user' },
      { kind: 'enter', vcpu: 1 }, // the SDEI event: the task sleeps
      { kind: 'offline', vcpu: 1 },
      { kind: 'enter', vcpu: 1 }, // the other task yields; the callback's first write disables the PPI
      { kind: 'complete', gfn: 256 },
      { kind: 'enter', vcpu: 1 }, // the page-ready goes out, then ENABLE(0): the CPU goes down
    ];
    for (const s of steps) playStep(h, s);
    h.schedule(1);
    expect(v1.mode).toBe('off');
    expect(task.state).toBe('sleeping');
    const ppi = v1.irqLine(v1.state.guest.ppi)!;
    expect(ppi).toMatchObject({ pending: true, enabled: false });
    expect(v1.state.pagereadyPending).toBe(true);

    playStep(h, { kind: 'online', vcpu: 1 });
    drain(h, [256]);
    expect(task.state).not.toBe('sleeping');
    expect(problemsAtRest(h)).toEqual([]);
  });
});
