/**
 * Where each half reaches the async-PF area (arches/x86/guest-memory.ts): the host at the GPA of
 * its last successful MSR_KVM_ASYNC_PF_EN (the gfn→hva cache vcpu->arch.apf.data), the guest at
 * its own per-CPU `apf_reason`, in one guest memory per VM. The two differ once the guest's EN
 * names another area (facts/x86.md §1 "struct kvm_vcpu_pv_apf_data", §2, §3).
 */
import { describe, expect, it } from 'vitest';
import { Harness, x86PfVariant, type Pf2010VcpuState } from '../../../index.js';
import { ACK_EXIT, areaAt, AS_INT, booted, ENABLED, exitCount, G, harness, MSR_KVM_ASYNC_PF_ACK, MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT, wrmsr, type H } from './helpers.js';

/** An area of the guest's that is not its `apf_reason`: 64-byte aligned, inside guest memory. */
const OTHER = 0x300000n;
const WAKE_ALL = 0xffffffff;

/** The guest's own per-CPU area on vCPU `i`. */
const own = (h: H, i = 0): bigint => h.vcpu(i).state.guest.apfReasonGpa;

/** A booted guest whose running kernel then moves the host's area to OTHER; user mode, IF=1. */
function moved(): H {
  const h = booted();
  expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, OTHER | ENABLED | AS_INT).kind).toBe('ok');
  h.setCpu({ privilege: 'user', irqsMasked: false });
  return h;
}

describe('the host writes at the area of its last successful enable', () => {
  // arch/x86/kvm/x86.c apf_put_user_notpresent(): kvm_write_guest_cached() through apf.data, the
  // cache kvm_pv_enable_async_pf() set up. arch/x86/kernel/kvm.c kvm_read_and_reset_apf_flags()
  // reads this CPU's own apf_reason.flags: 0 there, so the #PF is an ordinary one.
  it('not-present: flags = 1 at the new area; the guest reads its own, finds 0 and does not sleep', () => {
    const h = moved();
    const v = h.vcpu();
    const task = v.current!;

    h.fault(G);
    expect(v.injected?.name).toBe('#PF');
    expect(areaAt(v.state, OTHER).flags).toBe(1);
    expect(areaAt(v.state, own(h)).flags).toBe(0);
    h.enter();

    expect(task.state).not.toBe('sleeping');
    expect(areaAt(v.state, OTHER).flags).toBe(1); // nobody clears it there
  });

  // apf_put_user_ready(): the token at offsetof(token) through apf.data; the guest's
  // sysvec_kvm_asyncpf_interrupt() reads and clears its own apf_reason.token (0: it wakes token 0)
  // and still ACKs.
  it("page-ready: the enable's wake-all token lands at the new area; the guest clears only its own slot", () => {
    const h = moved();
    const v = h.vcpu();
    const acks = exitCount(h, ACK_EXIT);

    h.enter();

    expect(areaAt(v.state, OTHER).token).toBe(WAKE_ALL);
    expect(areaAt(v.state, own(h)).token).toBe(0);
    expect(v.sleepTable.list()).toEqual([{ token: 0, kind: 'dummy' }]);
    expect(exitCount(h, ACK_EXIT)).toBe(acks + 1);
    expect(v.state.pagereadyPending).toBe(false);
  });
});

describe('the host reads the page-ready slot back at the area of its last successful enable', () => {
  // apf_pageready_slot_free() reads the token through apf.data, and
  // kvm_arch_can_dequeue_async_page_present() waits on it: the ACK does not free a slot the guest
  // never cleared, so a later wake-all stays on the done list.
  it('a token left at the new area holds the next page-ready back, ACK or not', () => {
    const h = moved();
    const v = h.vcpu();
    h.enter(); // the wake-all goes out at OTHER and is ACKed
    const delivered = h.sim.metrics.readyDelivered;

    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, OTHER | ENABLED | AS_INT).kind).toBe('ok');
    wrmsr(h, MSR_KVM_ASYNC_PF_ACK, 1n);
    h.enter();

    expect(h.sim.metrics.readyDelivered).toBe(delivered);
    expect(v.apf.done).toHaveLength(1);
    expect(h.backend.canDequeueAsyncPagePresent(v)).toEqual({ ok: false, reason: 'ready-unacked' });
  });

  // kvm_arch_can_dequeue_async_page_present() asks only apf_pageready_slot_free(); pageready_pending
  // decides the kick alone (kvm_arch_async_page_present_queued()). A guest that moves its area
  // while a page-ready is unacknowledged finds the new slot free, and KVM sends the next one: its
  // one-outstanding rule holds per area (invariant 3 reports it; the fuzz's guestCaused() excuses it).
  it('a move while a page-ready is unacknowledged: the next goes out at the new area', () => {
    const h = harness();
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: true });
    wrmsr(h, MSR_KVM_ASYNC_PF_ACK, 1n); // dequeues the boot wake-all: at the guest's own area
    expect(v.state.pagereadyPending).toBe(true);
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, ENABLED | AS_INT).kind).toBe('ok'); // GPA 0: a second wake-all

    h.enter();

    expect(areaAt(v.state, own(h)).token).toBe(WAKE_ALL);
    expect(areaAt(v.state, 0n).token).toBe(WAKE_ALL);
    expect(v.apf.done).toHaveLength(0);
    expect(h.sim.monitor.violations.map((x) => x.invariant)).toEqual([3]);
  });

  // The fuzz's before-init counterexample: EN at GPA 0 and an ACK before the guest's own init. KVM
  // wrote that wake-all's token at GPA 0 (on vector 0: INT not written yet); the init's EN moves the
  // cache to the guest's own area, whose slot is free, so its wake-all goes out and the guest ACKs it.
  it("a token left at an old area does not hold back the guest's own enable", () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, ENABLED | AS_INT).kind).toBe('ok');
    wrmsr(h, MSR_KVM_ASYNC_PF_ACK, 1n);
    expect(areaAt(v.state, 0n).token).toBe(WAKE_ALL);
    expect(v.irqLine(0)?.signal).toBe('ready');

    h.backend.guestInit(v);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();

    expect(v.apf.done).toHaveLength(0);
    expect(v.irqLine(0xec)?.pending).toBe(false);
    expect(areaAt(v.state, own(h)).token).toBe(0); // delivered there, read and cleared by the guest
    expect(areaAt(v.state, 0n).token).toBe(WAKE_ALL);
    expect(v.state.pagereadyPending).toBe(false);
  });
});

describe('guest memory is the VM\'s', () => {
  // One guest memory for every vCPU: vCPU 1's EN naming vCPU 0's apf_reason has vCPU 1's host write
  // its wake-all token there (apf_put_user_ready()), and vCPU 0's host then finds its own slot
  // taken (apf_pageready_slot_free()).
  it("a vCPU whose EN names another CPU's area writes into it", () => {
    const h = harness({ vcpus: 2 });
    for (const i of [0, 1]) {
      h.setCpu({ privilege: 'user', irqsMasked: false }, i);
      h.enter(i); // each boot-time wake-all delivered and ACKed
    }
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, own(h, 0) | ENABLED | AS_INT, 1).kind).toBe('ok');
    h.setCpu({ irqsMasked: true }, 1);
    h.enter(1);

    const v0 = h.vcpu(0);
    expect(areaAt(v0.state, own(h, 0)).token).toBe(WAKE_ALL);
    expect(h.backend.canDequeueAsyncPagePresent(v0)).toEqual({ ok: false, reason: 'ready-unacked' });
  });
});

describe("the guest reads its area only while its async_pf_enabled is set", () => {
  // kvm_read_and_reset_apf_flags(): `if (__this_cpu_read(async_pf_enabled))`, else 0: a guest
  // whose kernel never ran kvm_guest_cpu_init() takes an async #PF for an ordinary one.
  it('flags written into a guest that never enabled: read as 0, left in place', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    wrmsr(h, MSR_KVM_ASYNC_PF_INT, 0xecn);
    wrmsr(h, MSR_KVM_ASYNC_PF_EN, own(h) | ENABLED | AS_INT);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = v.current!;

    h.fault(G);
    h.enter();

    expect(v.state.guest.asyncPfEnabled).toBe(false);
    expect(task.state).not.toBe('sleeping');
    expect(areaAt(v.state, own(h)).flags).toBe(1);
  });
});

describe('2010: the same split for the `reason` word', () => {
  // 2.6.38 apf_put_user() writes `reason` through apf.data; the guest's
  // kvm_read_and_reset_pf_reason() reads its own apf_reason (while its `enabled`, @64, is set).
  it('page-ready #PF: reason 2 at the new area; the guest reads its own 0, an ordinary #PF', () => {
    const h = new Harness<Pf2010VcpuState>(x86PfVariant);
    const s = h.vcpu().state;
    expect(h.call({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_EN, value: OTHER | ENABLED }).kind).toBe('ok');
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const ordinary = s.guest.ordinaryPf;

    // The boot wake-all, still on the done list (kvm_async_pf_wakeup_all() adds none while the list
    // is not empty), goes out now, through the cache of the last enable.
    h.enter();

    expect(s.memory.read32(OTHER)).toBe(2);
    expect(s.memory.read32(s.guest.apfReasonGpa)).toBe(0);
    expect(s.memory.read32(s.guest.apfReasonGpa + 64n)).toBe(1);
    expect(s.guest.ordinaryPf).toBe(ordinary + 1);
  });
});
