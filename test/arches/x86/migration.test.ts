/**
 * A live migration's switchover on the x86 hosts (a scenario `migrate` event; PROTOCOLS.md §2,
 * facts/x86.md §2 "Disable, reset, migration"). The source's vCPU is destroyed with its queue
 * (kvm_clear_async_pf_completion_queue()); apf.halted and pageready_pending are in-kernel only;
 * QEMU's kvm_put_msrs() writes MSR_KVM_ASYNC_PF_INT, then _EN, on the destination, and the EN
 * write's kvm_pv_enable_async_pf() queues a wake-all (arch/x86/kvm/x86.c).
 */
import { describe, expect, it } from 'vitest';
import { Harness, x86HaltVariant, x86PfVariant, type Pf2010VcpuState } from '../../../index.js';
import { ACK_EXIT, booted, bootedSleeper, exitCount, G } from './helpers.js';

describe('x86: migration', () => {
  it('a task asleep on a dropped work is woken by the destination\'s wake-all, and the work tells no one when it ends', () => {
    const { h, v, task } = bootedSleeper();
    expect(task.state).toBe('sleeping');
    const exits = { ...h.exits() };

    h.migrate();
    expect(v.queued).toBe(1); // the wake-all alone: the fault's work stayed behind
    expect(v.apf.gfns.get(G)).toBeUndefined();
    h.enter();

    expect(task.state).toBe('runnable');
    expect(exitCount(h, ACK_EXIT)).toBe((exits[ACK_EXIT] ?? 0) + 1); // the wake-all's ACK
    // The source's read ends later: the page is in, but no page-ready goes out for it.
    const delivered = h.sim.metrics.readyDelivered;
    h.complete(G);
    h.enter();
    expect(h.sim.metrics.readyDelivered).toBe(delivered);
    expect(h.sim.monitor.violations).toEqual([]);
    // The VMM's MSR writes are not the guest's: no exit counted for them.
    expect(exitCount(h, 'MSR_WRITE(ASYNC_PF_EN)')).toBe(exits['MSR_WRITE(ASYNC_PF_EN)']);
  });

  it('a page-ready still in the LAPIC at the switchover is taken on the destination, then the wake-all', () => {
    // The IRR and the area are migrated; pageready_pending is not, so the guest's ACK finds nothing
    // pending and the wake-all goes out once the guest has cleared the token slot.
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G);
    h.enter();
    h.complete(G);
    h.setCpu({ privilege: 'user', irqsMasked: true });
    h.enter(); // page-ready raised; IF=0 holds it
    expect(v.state.pagereadyPending).toBe(true);
    const wakeAlls = h.sim.metrics.wakeupAll;

    h.migrate();
    expect(v.state.pagereadyPending).toBe(false);
    h.setCpu({ irqsMasked: false });
    h.enter();
    h.enter();

    expect(task.state).toBe('runnable');
    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls + 1);
    expect(v.queued).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  it('a VM without KVM_FEATURE_ASYNC_PF (INT only, so the Linux guest still enables) loses EN: the destination is disabled, and a later fault is no async PF (README "events"; hostile round J kept the source\'s EN)', () => {
    // QEMU's kvm_put_msrs() writes each MSR only where the VM has its CPUID feature; the
    // destination's vcpu->arch.apf starts disabled (kvm_arch_vcpu_create()).
    const { h, v, task } = bootedSleeper({ knobs: { featureAsyncPf: 0 }, vcpus: 2 });
    const int = v.state.msrIntVal;
    const wakeAlls = h.sim.metrics.wakeupAll;
    h.migrate();
    expect(v.state.msrEnVal).toBe(0n);
    expect(v.state.msrIntVal).toBe(int); // INT is the VM's: restored
    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls); // no EN write, no wake-all: its sleeper sleeps on
    h.enter();
    expect(task.state).toBe('sleeping');
    const started = h.sim.metrics.asyncStarted;
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.enter(1);
    h.fault(G + 1, 1);
    expect(h.sim.metrics.asyncStarted).toBe(started);
    expect(h.sim.metrics.haltReasons.toJSON()['apf-disabled']).toBe(1);
  });

  it('a guest that moved nothing keeps its area: the destination writes the wake-all token where the guest reads it', () => {
    const h = booted();
    const v = h.vcpu();
    const en = v.state.msrEnVal;
    h.migrate();
    expect(v.state.msrEnVal).toBe(en);
    expect(v.state.areaGpa).toBe(en & ~0x3fn);
  });
});

describe('x86-halt: migration', () => {
  it('the synthetic halt does not migrate: the vCPU runs again and its access faults anew, with no wake-all (EN is 0)', () => {
    const h = new Harness(x86HaltVariant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G);
    const v = h.vcpu();
    expect(v.mode).toBe('halt');

    h.migrate();

    expect(v.mode).toBe('run');
    expect(v.queued).toBe(0);
    expect(h.sim.metrics.wakeupAll).toBe(0);
  });
});

describe('x86-pf (2010): migration', () => {
  it('the destination restores EN and queues the wake-all ("restarting all guest processes after migration", seed 002)', () => {
    const h = new Harness<Pf2010VcpuState>(x86PfVariant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter(); // the boot wake-all
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G);
    h.enter();
    expect(task.state).toBe('sleeping');
    const before = h.sim.metrics.wakeupAll;

    h.migrate();
    h.enter();

    expect(h.sim.metrics.wakeupAll).toBe(before + 1);
    expect(task.state).toBe('runnable');
  });

  it('a VM without KVM_FEATURE_ASYNC_PF has no EN for QEMU to restore: no wake-all', () => {
    const h = new Harness<Pf2010VcpuState>(x86PfVariant, { knobs: { featureAsyncPf: 0 } });
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    const before = h.sim.metrics.wakeupAll;
    h.migrate();
    expect(h.sim.metrics.wakeupAll).toBe(before);
  });
});

describe('x86: the destination\'s token counter (hostile round P)', () => {
  it.each([
    ['x86', () => booted()],
    ['x86-pf', () => new Harness(x86PfVariant)],
  ])('%s: apf.id is not migrated state: the destination starts its tokens over', (_id, make) => {
    const h = make();
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    h.fault(G);
    h.enter();
    expect((v.state as { id: number }).id).toBeGreaterThan(0);
    h.migrate();
    // kvm_arch_vcpu_create() zeroes vcpu->arch.apf: the source's counter does not come over.
    expect((v.state as { id: number }).id).toBe(0);
  });
});
