/**
 * The arm64 async-PF hooks of the SDEI design (v4): who may get a not-present, the token, the
 * page-ready PPI with IRQ_ACK, cancellation of an undispatched event, and the D1.13.4 hazard.
 * facts/arm64.md §1 v2–v4, §5; PROTOCOLS.md §2, §4.7. Host code from Gavin Shan's v4: 07/15
 * (20210815005947.83699-8-gshan@redhat.com: kvm_arch_async_not_present_allowed(), try_async_pf(),
 * kvm_arch_setup_async_pf()), 08/15 (20210815005947.83699-9-gshan@redhat.com: the page-ready hooks
 * and IRQ_ACK), 09/15 (20210815005947.83699-10-gshan@redhat.com: the SDEI notifier, ENABLE);
 * guest code from 14/15 (20210815005947.83699-15-gshan@redhat.com, arch/arm64/kernel/kvm.c).
 */
import { describe, expect, it } from 'vitest';
import { arm64Abi, checkVariant, findVariant } from '../../../index.js';
import { apf, blockAt, exitCount, hvc, GFN_A, GFN_B, harness, readyHarness, sendAlwaysHarness, setBlock, tokenOf, type H } from './helpers.js';

/** The count of the hazard whose name matches `name` (the names are the backend's). */
function hazard(h: H, name: RegExp): number {
  const all = h.sim.metrics.hazards.toJSON();
  return Object.entries(all).find(([k]) => name.test(k))?.[1] ?? 0;
}
const D1_13_4 = /D1\.13\.4/;

const { KVM_PV_REASON_PAGE_NOT_PRESENT, KVM_PV_REASON_PAGE_READY, ASYNC_PF_IRQ_ACK } = arm64Abi;

/** Fault on `gfn` in user mode and take the SDEI event with IRQs masked: the task is flagged, not asleep. */
/**
 * A user-mode fault on `gfn`, dispatched: the SDEI event completes and resumes at the IRQ vector,
 * so the task sleeps at that IRQ's return to user (facts/arm64.md §4). The next task becomes
 * current and IRQs are masked, so that a later page-ready PPI stays pending for the test to see.
 */
function faultAndDispatch(h: H, gfn: number, i = 0): number {
  h.setCpu({ privilege: 'user', irqsMasked: false }, i);
  const task = h.vcpu(i).current!;
  h.fault(gfn, i);
  const token = tokenOf(h, gfn, i);
  h.enter(i);
  expect(task.state).toBe('sleeping');
  nextTask(h, i);
  h.setCpu({ irqsMasked: true }, i);
  return token;
}

function nextTask(h: H, i = 0): void {
  const v = h.vcpu(i);
  v.current = v.runq.pickNext() ?? null;
  if (v.current) v.current.state = 'running';
}

describe('who gets a not-present (kvm_arch_async_not_present_allowed)', () => {
  // v4 07/15 kvm_arch_async_not_present_allowed() check 2 (send_user_only && vcpu_mode_priv(); the 14/15 guest never
  // sets SEND_ALWAYS); PROTOCOLS.md §4.7 canDeliverAsyncPf "user mode"
  it('a user-mode fault goes async: the SDEI event is queued and the vCPU keeps running', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(GFN_A);

    const v = h.vcpu();
    expect(v.mode).toBe('run');
    expect(v.injected?.name).toBe('SDEI 0x40400001');
    expect(h.sim.metrics.asyncStarted).toBe(1);
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({});
  });

  // v4 07/15 try_async_pf(): not allowed → the synchronous __gfn_to_pfn_memslot(), no halt; check 2 user only
  it('a kernel-mode fault is synchronous with reason kernel-mode', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });

    h.fault(GFN_A);

    const v = h.vcpu();
    expect(v.mode).toBe('sync');
    expect(v.injected).toBeNull();
    expect(v.apf.gfns.has(GFN_A)).toBe(false);
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'kernel-mode': 1 });
  });

  // v4 07/15 kvm_arch_async_not_present_allowed() check 4: no SDEI event running (vsdei->critical_event/normal_event == NULL)
  it('a fault while an SDEI event is running is synchronous with reason sdei-running', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.vcpu().state.sdei.running = arm64Abi.KVM_SDEI_ASYNC_PF_NUM;

    h.fault(GFN_A);

    expect(h.vcpu().mode).toBe('sync');
    expect(h.vcpu().injected).toBeNull();
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'sdei-running': 1 });
  });

  // v4 07/15 kvm_arch_async_not_present_allowed() check 5: the control block must show reason == 0 and token == 0
  it('a fault while the control block holds a reason is synchronous with reason signal-pending', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    setBlock(h.vcpu().state, { reason: KVM_PV_REASON_PAGE_NOT_PRESENT });

    h.fault(GFN_A);

    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'signal-pending': 1 });
  });

  it('a fault while the control block holds a token (reason 0) is synchronous with reason signal-pending', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    setBlock(h.vcpu().state, { token: 0x3000 });

    h.fault(GFN_A);

    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'signal-pending': 1 });
  });

  // check 5 in practice: a not-present still waiting for dispatch keeps the block busy
  it('a second fault before the first event is dispatched is synchronous (block busy)', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A);

    h.fault(GFN_B);

    const v = h.vcpu();
    expect(v.mode).toBe('sync');
    expect(v.syncGfn).toBe(GFN_B);
    expect(v.apf.gfns.has(GFN_B)).toBe(false);
    expect(v.injected?.token).toBe(tokenOf(h, GFN_A)); // still the first event, not a second one
  });

  // v4 07/15 kvm_arch_async_not_present_allowed() check 1: apf allocated and control_block & ENABLED
  it('a fault before the guest enabled APF is synchronous with reason apf-disabled', () => {
    const h = harness({ guestInit: false });
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(GFN_A);

    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'apf-disabled': 1 });
  });

  // an SDEI event is "delivered NMI-like" (facts/arm64.md §4); v4 07/15 kvm_arch_async_not_present_allowed() has no DAIF check
  it('IRQs masked in user mode do not stop the not-present', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: true });

    h.fault(GFN_A);

    expect(h.vcpu().injected?.name).toBe('SDEI 0x40400001');
  });

  // PROTOCOLS.md §4.7 / backend caps: kernel mode without SEND_ALWAYS and a running event are forbidden (invariant 4)
  it('declares EL1 without SEND_ALWAYS and sdei-running as forbidden not-present states', () => {
    const h = harness();

    expect([...h.backend.caps.forbiddenNotPresent].sort()).toEqual(['kernel-mode-not-sent', 'sdei-running']);
  });
});

describe('token', () => {
  // v4 07/15 kvm_arch_setup_async_pf(): token = (apf->id++ << 12) | vcpu->vcpu_id, id a u16 (facts/arm64.md §1a)
  it('consecutive faults get consecutive ids in bits 12 and up', () => {
    const h = readyHarness();
    h.vcpu().state.id = 0x41;

    const first = faultAndDispatch(h, GFN_A);
    const second = faultAndDispatch(h, GFN_B);

    expect(first).toBe(0x41000);
    expect(second).toBe(0x42000);
    expect(h.vcpu().state.id).toBe(0x43);
  });

  it('carries the vCPU id in the low 12 bits', () => {
    const h = readyHarness({ vcpus: 2 });
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.enter(1);
    h.vcpu(1).state.id = 3;

    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.fault(GFN_A, 1);

    expect(tokenOf(h, GFN_A, 1)).toBe((3 << 12) | 1);
  });

  // v4 07/15: id is a u16, so it wraps from 0xffff to 0 (no zero-token guard on arm64; facts/arm64.md §1a)
  it('wraps the u16 id from 0xffff to 0', () => {
    const h = readyHarness({ vcpus: 2 });
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.enter(1);
    h.vcpu(1).state.id = 0xffff;

    const first = faultAndDispatch(h, GFN_A, 1);
    const second = faultAndDispatch(h, GFN_B, 1);

    expect(first).toBe(0x0ffff001);
    expect(second).toBe(0x00000001);
    expect(h.vcpu(1).state.id).toBe(1);
  });
});

describe('page ready: level-high PPI and IRQ_ACK', () => {
  // v4 08/15 kvm_arch_async_page_present(): token, then reason = 2, pageready_pending, kvm_vgic_inject_irq(level = true)
  it('raises the VMM PPI level-high with token and reason 2 in the control block', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    h.vcpu().state.id = 7;
    const token = faultAndDispatch(h, GFN_A);
    const irqAcksBefore = exitCount(h, 'HVC64(ASYNC_PF_IRQ_ACK)');

    h.complete(GFN_A);
    h.enter(); // IRQs still masked: the PPI stays pending

    const v = h.vcpu();
    expect(v.irqLine(20)).toMatchObject({ level: true, asserted: true, pending: true });
    expect(v.irqLine(arm64Abi.LAB_DEFAULT_APF_PPI)).toBeUndefined();
    expect(blockAt(v.state)).toEqual({ reason: KVM_PV_REASON_PAGE_READY, token });
    expect(token).toBe(0x7000);
    expect(v.state.pagereadyPending).toBe(true);
    expect(exitCount(h, 'HVC64(ASYNC_PF_IRQ_ACK)')).toBe(irqAcksBefore);
  });

  // v4 14/15 kvm_async_pf_irq_handler(): wake by token, clear token then reason, IRQ_ACK; v4 08/15 IRQ_ACK lowers the line
  it('the guest handler wakes the sleeping task, clears the block and IRQ_ACK lowers the line', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.vcpu().state.id = 2;
    const task = h.vcpu().current!;
    h.fault(GFN_A);
    h.enter(); // dispatch: the task sleeps at return to user
    expect(task.state).toBe('sleeping');
    const acksBefore = exitCount(h, 'HVC64(ASYNC_PF_IRQ_ACK)');

    h.complete(GFN_A);
    h.enter();

    const v = h.vcpu();
    expect(task.state).toBe('runnable');
    expect(task.sleepToken).toBe(-1);
    expect(blockAt(v.state)).toEqual({ reason: 0, token: 0 });
    expect(exitCount(h, 'HVC64(ASYNC_PF_IRQ_ACK)') - acksBefore).toBe(1);
    expect(v.irqLine(20)).toMatchObject({ asserted: false, pending: false });
    expect(v.state.pagereadyPending).toBe(false);
    expect(v.apf.gfns.has(GFN_A)).toBe(false);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // vgic_v3_populate_lr() puts a software level interrupt in a list register with ICH_LR_EOI, so
  // the guest's EOI raises a maintenance interrupt and exits (arch/arm64/kvm/vgic/vgic-v3.c).
  it('the page-ready PPI\'s EOI exits (vGIC maintenance); the self reschedule SGI\'s, edge-triggered, does not', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const before = exitCount(h, 'IRQ (vGIC maintenance)');
    h.fault(GFN_A);
    h.enter(); // the SDEI event, its self SGI, the sleep at return to user
    expect(exitCount(h, 'SYS64(ICC_SGI1R_EL1)')).toBe(1);
    expect(exitCount(h, 'IRQ (vGIC maintenance)')).toBe(before);

    h.complete(GFN_A);
    h.enter();

    expect(exitCount(h, 'IRQ (vGIC maintenance)')).toBe(before + 1);
    expect(h.sim.backend.caps.eoiExit?.lines).toEqual([20]);
  });

  // v4 08/15 kvm_arch_async_pf_hypercall() IRQ_ACK: lowers the line, clears pageready_pending
  it('IRQ_ACK from the guest lowers the level-high line', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    faultAndDispatch(h, GFN_A);
    h.complete(GFN_A);
    h.enter();
    expect(h.vcpu().irqLine(20)?.asserted).toBe(true);

    apf(h, ASYNC_PF_IRQ_ACK);

    expect(h.vcpu().irqLine(20)).toMatchObject({ asserted: false, pending: false });
    expect(h.vcpu().state.pagereadyPending).toBe(false);
  });

  // facts/arm64.md §1 v2–v4: "The next PPI is sent only after IRQ_ACK"; v4 08/15 can_dequeue: not while pageready_pending
  it('two completions before entry: one PPI first, the second only after the ACK', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    h.vcpu().state.id = 1;
    const tokenA = faultAndDispatch(h, GFN_A);
    const tokenB = faultAndDispatch(h, GFN_B);
    const readyBefore = h.sim.metrics.readyDelivered;
    const acksBefore = exitCount(h, 'HVC64(ASYNC_PF_IRQ_ACK)');
    h.complete(GFN_A);
    h.complete(GFN_B);

    h.enter(); // masked: the first page-ready is raised and waits for its ACK
    h.enter(); // a second entry changes nothing while the ACK is outstanding

    const v = h.vcpu();
    expect(h.sim.metrics.readyDelivered - readyBefore).toBe(1);
    expect(blockAt(v.state)).toEqual({ reason: KVM_PV_REASON_PAGE_READY, token: tokenA });
    expect(v.apf.done.map((w) => w.token)).toEqual([tokenB]);

    h.setCpu({ irqsMasked: false });
    h.enter(); // handler → IRQ_ACK → the host drains B inside the call → PPI again → handler → IRQ_ACK

    expect(h.sim.metrics.readyDelivered - readyBefore).toBe(2);
    expect(exitCount(h, 'HVC64(ASYNC_PF_IRQ_ACK)') - acksBefore).toBe(2);
    expect(v.apf.done).toHaveLength(0);
    expect(blockAt(v.state)).toEqual({ reason: 0, token: 0 });
    expect(v.irqLine(20)).toMatchObject({ asserted: false, pending: false });
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // v4 08/15 kvm_arch_can_dequeue_async_page_present(): pageready_pending alone blocks the next page-ready — the guest
  // clears the block (v4 14/15 kvm_async_pf_irq_handler()) before it calls IRQ_ACK, and that window must not let one through
  it('a cleared control block is not enough: the next page-ready waits for IRQ_ACK itself', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    h.vcpu().state.id = 1;
    faultAndDispatch(h, GFN_A);
    const tokenB = faultAndDispatch(h, GFN_B);
    const readyBefore = h.sim.metrics.readyDelivered;
    h.complete(GFN_A);
    h.complete(GFN_B);
    h.enter(); // masked: A's page-ready is raised
    const s = h.vcpu().state;
    setBlock(s, { token: 0, reason: 0 }); // what the guest handler does before IRQ_ACK

    h.enter();
    const beforeAck = h.sim.metrics.readyDelivered - readyBefore;
    apf(h, ASYNC_PF_IRQ_ACK);

    expect(beforeAck).toBe(1);
    expect(h.sim.metrics.readyDelivered - readyBefore).toBe(2); // drained inside the IRQ_ACK call
    expect(blockAt(s)).toEqual({ reason: KVM_PV_REASON_PAGE_READY, token: tokenB });
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // v4 08/15 kvm_arch_async_page_present_queued(): kick only if !pageready_pending; PROTOCOLS.md §4.7 canDequeue
  it('declares that every page-ready needs an ACK', () => {
    expect(harness().backend.caps.ackRequired).toBe(true);
  });
});

describe('cancel: a completion before the SDEI event is dispatched', () => {
  // v4 08/15 kvm_arch_async_page_present() + kvm_sdei_cancel() → zero reason and token, no PPI;
  // ASYNC_PF is handled before SDEI in check_vcpu_requests (v4 08/15); PROTOCOLS.md §4.7 "cancels it"
  it('no SDEI handler runs, no PPI is raised and the task never sleeps', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.vcpu().state.id = 4; // a non-zero token, so that zeroing it is visible
    const task = h.vcpu().current!;
    const readyBefore = h.sim.metrics.readyDelivered;
    const irqBefore = { ...h.vcpu().irqLine(20) };
    h.fault(GFN_A);

    const blockBefore = blockAt(h.vcpu().state);
    h.complete(GFN_A);
    h.enter();

    const v = h.vcpu();
    expect(blockBefore).toEqual({ reason: KVM_PV_REASON_PAGE_NOT_PRESENT, token: 0x4000 });
    expect(v.state.sdei.dispatched).toBe(0);
    expect(exitCount(h, 'HVC64(SDEI_EVENT_COMPLETE)')).toBe(0);
    expect(v.injected).toBeNull();
    expect(v.irqLine(20)).toMatchObject({ asserted: false, pending: false });
    expect(irqBefore).toMatchObject({ asserted: false, pending: false });
    expect(h.sim.metrics.readyDelivered).toBe(readyBefore);
    expect(task.state).toBe('running');
    expect(task.flaggedToken).toBe(-1);
    expect(h.sim.metrics.archEvents.toJSON()).toEqual({ 'sdei-cancelled': 1 });
    expect(blockAt(v.state)).toEqual({ reason: 0, token: 0 });
    expect(v.state.notpresentPending).toBe(false);
    expect(v.state.pagereadyPending).toBe(false);
    expect(v.apf.gfns.has(GFN_A)).toBe(false);
    expect(v.apf.queued).toBe(0);
  });

  // kvm_sdei_cancel() (gwshan/linux arch/arm64/kvm/sdei.c) fails (-EINPROGRESS) once delivered → v4 08/15
  // kvm_arch_async_page_present() falls through to the normal page-ready
  it('does not cancel once the event was dispatched: page-ready goes out instead', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    faultAndDispatch(h, GFN_A);

    h.complete(GFN_A);
    h.enter();

    expect(h.sim.metrics.archEvents.toJSON()).toEqual({});
    expect(h.vcpu().irqLine(20)).toMatchObject({ asserted: true });
  });
});

describe('kernel-mode faults fall back synchronously', () => {
  // v4 07/15 try_async_pf() (send_user_only; not allowed → synchronous GUP, no halt); SEND_ALWAYS is never set by
  // the guest (v4 14/15 kvm_async_pf_enable() writes PA | KVM_ASYNC_PF_ENABLED only)
  it('counts the sync fallback with the named reason and completes it without any signal', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    const exitsBefore = h.exits();

    h.fault(GFN_A);
    h.complete(GFN_A);

    const v = h.vcpu();
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'kernel-mode': 1 });
    expect(h.sim.metrics.asyncStarted).toBe(0);
    expect(v.mode).toBe('run'); // the synchronous read finished and the vCPU resumed
    expect(v.injected).toBeNull();
    expect(blockAt(v.state)).toEqual({ reason: 0, token: 0 });
    expect(v.state.id).toBe(0); // no token was allocated
    expect(exitCount(h, 'HVC64(SDEI_EVENT_COMPLETE)')).toBe(exitsBefore['HVC64(SDEI_EVENT_COMPLETE)'] ?? 0);
  });

  // SEND_ALWAYS (bit 1 of the ENABLE value) lifts the user-only gate (v4 07/15 check 2; v4 09/15 kvm_arch_async_enable(): send_user_only = !(data & SEND_ALWAYS))
  it('a guest that set SEND_ALWAYS gets kernel-mode not-presents', () => {
    const { SDEI_EVENT_REGISTER, SDEI_EVENT_ENABLE, SDEI_PE_UNMASK, KVM_SDEI_ASYNC_PF_NUM, ASYNC_PF_ENABLE } = arm64Abi;
    const h = harness({ guestInit: false });
    hvc(h, SDEI_EVENT_REGISTER, BigInt(KVM_SDEI_ASYNC_PF_NUM), 1n, 0n);
    hvc(h, SDEI_EVENT_ENABLE, BigInt(KVM_SDEI_ASYNC_PF_NUM));
    hvc(h, SDEI_PE_UNMASK);
    const value = 0x200000n | arm64Abi.KVM_ASYNC_PF_SEND_ALWAYS | arm64Abi.KVM_ASYNC_PF_ENABLED;
    expect(apf(h, ASYNC_PF_ENABLE, value, 0n)[0]).toBe(arm64Abi.SMCCC_RET_SUCCESS);
    h.setCpu({ privilege: 'kernel', irqsMasked: false });

    h.fault(GFN_A);

    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({});
    expect(h.vcpu().injected?.name).toBe('SDEI 0x40400001');
  });
});

describe('a flagged task sleeps only on a real return to user (facts/arm64.md §1a)', () => {
  // do_notify_resume() runs on the way to EL0 only: with SEND_ALWAYS a kernel-mode fault flags the task,
  // the event resumes at the EL1 IRQ vector, and the kernel re-executes the access and faults again
  it('a kernel-mode fault with SEND_ALWAYS does not sleep in the kernel: it faults again, and page-ready clears the flag', () => {
    const h = sendAlwaysHarness();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    const task = h.vcpu().current!;
    h.fault(GFN_A);
    const token = tokenOf(h, GFN_A);

    h.enter();

    expect(exitCount(h, 'HVC64(SDEI_EVENT_COMPLETE_AND_RESUME)')).toBe(1);
    expect(task.state).toBe('running');
    expect(task.flaggedToken).toBe(token);

    h.fault(GFN_A); // the re-executed access: a repeated fault, the vCPU re-enters (no new token)
    expect(h.sim.metrics.repeatedFaults).toBe(1);
    expect(h.vcpu().apf.queued).toBe(1);

    h.complete(GFN_A);
    h.enter(); // page-ready PPI: kvm_async_pf_remove_task() finds the entry and clears TIF_ASYNC_PF

    expect(task.flaggedToken).toBe(-1);
    expect(task.state).toBe('running');
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

describe('D1.13.4 hazard', () => {
  // facts/arm64.md §4: an event that interrupted EL0 completes with COMPLETE_AND_RESUME to the IRQ
  // vector; the task meets its flag at that IRQ's return to user, so nothing waits on the self SGI
  it('the self reschedule SGI of the SDEI handler is not a hazard: the resumed IRQ entry does not depend on it', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = h.vcpu().current!;
    h.fault(GFN_A);

    h.enter();

    expect(exitCount(h, 'SYS64(ICC_SGI1R_EL1)')).toBe(1);
    expect(task.state).toBe('sleeping');
    expect(hazard(h, D1_13_4)).toBe(0);
  });

  // DDI0487F.a D1.13.4 (James Morse 2020-10-23, 20201023165108.15061-1-james.morse@arm.com): entering
  // straight at an instruction that stage-2 faults with the page-ready PPI pending — the wake waits on it
  it('a page-ready PPI pending at an entry that resumes at a faulting instruction is counted', () => {
    const h = sendAlwaysHarness();
    faultAndDispatch(h, GFN_A); // task 1 sleeps on A
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    const task2 = h.vcpu().current!;
    h.fault(GFN_B); // kernel mode, SEND_ALWAYS: the event goes out
    h.enter(); // resumes at the EL1 IRQ vector, returns to the kernel: flagged, not asleep
    expect(task2.state).toBe('running');
    h.fault(GFN_B); // the re-executed access faults again: a repeated fault, the vCPU retries
    h.complete(GFN_A);
    const before = h.sim.metrics.hazards.total;

    h.enter(); // A's PPI is raised and pending; task 2 resumes at B, still missing

    expect(h.sim.metrics.hazards.total - before).toBe(1);
    expect(hazard(h, D1_13_4)).toBe(1);
  });

  // The race as an outcome (DESIGN.md "interrupts that carry a not-present"; PROTOCOLS.md §4.7): each time
  // the fault wins, one more stage-2 exit (a repeated fault) before the PPI is taken;
  // arch.arm64.d1134FaultFirstPercent sets how often
  it.each([
    [0, 0],
    [100, 1000], // every race lost: bounded at 1,000 in a row, then the interrupt is taken anyway
  ])('with d1134FaultFirstPercent %i the pending PPI costs %i extra stage-2 exits', (percent, extra) => {
    const h = sendAlwaysHarness({ knobs: { d1134FaultFirstPercent: percent } });
    faultAndDispatch(h, GFN_A);
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(GFN_B);
    h.enter();
    h.fault(GFN_B);
    h.complete(GFN_A);
    const exits = exitCount(h, 'DABT_LOW');
    const repeated = h.sim.metrics.repeatedFaults;

    h.enter();

    expect(exitCount(h, 'DABT_LOW') - exits).toBe(extra);
    expect(h.sim.metrics.repeatedFaults - repeated).toBe(extra);
    expect(hazard(h, D1_13_4)).toBe(1);
  });

  it('refuses a share outside 0–100 as bad input', () => {
    expect(() => harness({ knobs: { d1134FaultFirstPercent: 101 } })).toThrow(/d1134FaultFirstPercent: 101 is not a percentage/);
  });

  it('is not counted when the resumed instruction is mapped', () => {
    const h = readyHarness({ knobs: { ppi: 20 } });
    faultAndDispatch(h, GFN_A);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.complete(GFN_A);
    const before = h.sim.metrics.hazards.total;

    h.enter(); // the current task resumes at a mapped page

    expect(h.sim.metrics.readyDelivered).toBeGreaterThan(0);
    expect(h.sim.metrics.hazards.total - before).toBe(0);
  });

  it('is not counted when no SDEI event is dispatched', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });

    h.fault(GFN_A); // synchronous: no event, no SGI
    h.complete(GFN_A);
    h.enter();

    expect(hazard(h, D1_13_4)).toBe(0);
    expect(exitCount(h, 'SYS64(ICC_SGI1R_EL1)')).toBe(0);
  });
});


describe('token 0 (facts/arm64.md §1a: u16 id, no zero guard)', () => {
  // v4's kvm_arch_setup_async_pf() has no zero guard (x86 added one in 6f3c1fc53d86, facts/x86.md §6):
  // vCPU 0 is handed token 0 on its first fault and after every wrap of the u16 id.
  it('vCPU 0 is handed token 0 on its first fault and again after the u16 id wraps', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A);
    expect(tokenOf(h, GFN_A)).toBe(0);

    const v = readyHarness();
    v.vcpu().state.id = 0xffff;
    expect(faultAndDispatch(v, GFN_A)).toBe(0xffff << 12);
    expect(faultAndDispatch(v, GFN_B)).toBe(0);
  });

  it('loses no page-ready by it, unlike x86 before 6f3c1fc53d86: the free test reads the reason word and pageready_pending too', () => {
    // gwshan/linux arch/arm64/kvm/async_pf.c kvm_arch_can_dequeue_async_page_present(): busy while
    // pageready_pending, or while reason or token is non-zero. Every order of two user faults
    // (tokens 0 and 0x1000), their completions and entries wakes both tasks.
    const r = checkVariant(findVariant('arm64-sdei'), { vcpus: 1, pages: 2, depth: 6, contexts: ['user'] });
    expect(r.exhaustive).toBe(true);
    expect(r.findings).toEqual([]);
  });

  it('vCPU 1 never gets token 0: its id is in the low bits', () => {
    const h = readyHarness({ vcpus: 2 });
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.enter(1);
    h.fault(GFN_A, 1);
    expect(tokenOf(h, GFN_A, 1)).toBe(1);
    expect(h.sim.metrics.hazards.total).toBe(0);
  });
});
