/**
 * A live migration's switchover on the arm64 designs (a scenario `migrate` event, PROTOCOLS.md §2).
 * v4: notpresent_pending and pageready_pending are in-kernel only; the VMM sets the SDEI event, the
 * PPI and then the control block again (KVM_ARM_ASYNC_PF_CMD_SET_*), and the enable queues a
 * wake-all (v4 09/15, 10/15: 20210815005947.83699-10-gshan@redhat.com, -11-). RFCv1/RFCv2: no
 * ioctl carries vcpu->arch.apf (RFCv2 7/9, 20200508032919.52147-8-gshan@redhat.com), and the
 * guest, whose control block still says enabled, never enables again (seed 003).
 */
import { describe, expect, it } from 'vitest';
import { arm64DabtVariant, arm64ImpdefVariant } from '../../../arches/arm64/dabt/variant.js';
import { Harness, type DabtVcpuState } from '../../../index.js';
import { GFN_A, GFN_B, readyHarness } from './helpers.js';

describe('arm64-sdei: migration', () => {
  it('a task asleep on a dropped work is woken by the destination\'s wake-all', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = h.vcpu().current!;
    h.fault(GFN_A);
    h.enter(); // the SDEI event: the task sleeps at its return to user
    expect(task.state).toBe('sleeping');
    const wakeAlls = h.sim.metrics.wakeupAll;

    h.migrate();
    h.enter();

    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls + 1);
    expect(task.state).toBe('runnable');
    expect(h.vcpu().queued).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  it('the destination\'s token counter starts at 0 again: apf->id is zeroed at vCPU creation and no ioctl carries it (v4 08/15, 10/15)', () => {
    const h = readyHarness();
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A);
    h.enter();
    h.complete(GFN_A);
    for (let i = 0; i < 3; i++) {
      h.enter();
      h.schedule();
    }
    expect(v.state.id).toBeGreaterThan(0); // the source handed out at least one token

    h.migrate();
    h.setCpu({ irqsMasked: false });
    for (let i = 0; i < 3; i++) {
      h.enter(); // the enable's wake-all, then its IRQ_ACK
      h.schedule();
    }
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_B);

    expect(v.apf.gfns.get(GFN_B)!.token).toBe((0 << 12) | 0);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  it('a page-ready PPI pending at the switchover is taken once on the destination, whose IRQ_ACK finds nothing pending; then the wake-all', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = v.current!;
    h.fault(GFN_A);
    h.enter();
    h.complete(GFN_A);
    h.setCpu({ irqsMasked: true });
    h.enter(); // page-ready raised level-high; PSTATE.I holds it
    expect(v.state.pagereadyPending).toBe(true);
    const wakeAlls = h.sim.metrics.wakeupAll;

    h.migrate();
    expect(v.state.pagereadyPending).toBe(false);
    expect(v.irqLine(20)).toMatchObject({ asserted: false, pending: true });
    h.setCpu({ irqsMasked: false });
    h.enter();
    h.enter();

    expect(task.state).toBe('runnable');
    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls + 1);
    expect(v.irqLine(20)).toMatchObject({ asserted: false, pending: false });
    expect(v.queued).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

/** Booted (the enable's wake-all taken), a user-mode fault whose task sleeps, then the migration and an entry. */
function migratedSleeper(variant: typeof arm64DabtVariant) {
  const h = new Harness<DabtVcpuState>(variant);
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  const v = h.vcpu();
  const task = v.current!;
  h.fault(GFN_A);
  h.enter();
  expect(task.state).toBe('sleeping');
  const wakeAlls = h.sim.metrics.wakeupAll;
  h.migrate();
  h.enter();
  return { h, v, task, wakeAlls };
}

describe('arm64-impdef (RFCv1): migration', () => {
  // RFCv1 6/7 (20200410085820.758686-7-gshan@redhat.com): SYS_ASYNC_PF_EL1 has get_user/put_user,
  // so QEMU saves it and writes it back with KVM_SET_ONE_REG, whose update queues a wake-all.
  it('the enable register comes back on the destination and its wake-all wakes the sleeper', () => {
    const { h, v, task, wakeAlls } = migratedSleeper(arm64ImpdefVariant);

    expect(v.state.enabled).toBe(true);
    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls + 1);
    expect(task.state).toBe('runnable');
  });
});

describe('arm64-dabt (RFCv2): migration', () => {
  it('the destination host is disabled while the guest thinks it enabled: no wake-all, the sleeper sleeps on, later faults are synchronous', () => {
    const { h, v, task, wakeAlls } = migratedSleeper(arm64DabtVariant);

    expect(v.state.enabled).toBe(false);
    expect(v.state.guest.enabled).toBe(true);
    expect(h.sim.metrics.wakeupAll).toBe(wakeAlls);
    expect(task.state).toBe('sleeping');
    h.schedule();
    h.fault(GFN_B);
    expect(v.mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'apf-disabled': 1 });
  });
});
