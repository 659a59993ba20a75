/**
 * KVM's virtual SDEI dispatcher as the async-PF guest uses it: the SDEI calls and their answers,
 * injection gated by the PE mask, dispatch into the guest's handler and SDEI_EVENT_COMPLETE.
 * facts/arm64.md §4 (DEN0054), §1 v2–v4; PROTOCOLS.md §4.7. Host: Gavin Shan's SDEI virtualization
 * (gwshan/linux arch/arm64/kvm/sdei.c; kvm_sdei_inject() as posted in v2 18/21,
 * 20210209032733.99996-19-gshan@redhat.com) and async-PF v4 07/15, 09/15
 * (20210815005947.83699-8-gshan@redhat.com, 20210815005947.83699-10-gshan@redhat.com); guest: v4 14/15
 * (20210815005947.83699-15-gshan@redhat.com).
 */
import { describe, expect, it } from 'vitest';
import { arm64Abi, findVariant, Harness, type AsyncPfWork } from '../../../index.js';
import { blockAt, exitCount, GFN_A, harness, hvc, readyHarness, sendAlwaysHarness, tokenOf } from './helpers.js';

const {
  SDEI_EVENT_REGISTER,
  SDEI_EVENT_ENABLE,
  SDEI_EVENT_COMPLETE,
  SDEI_PE_MASK,
  SDEI_PE_UNMASK,
  SDEI_SUCCESS,
  SDEI_INVALID_PARAMETERS,
  SDEI_DENIED,
  KVM_SDEI_ASYNC_PF_NUM,
  KVM_SDEI_DEFAULT_NUM,
} = arm64Abi;
const EV = BigInt(KVM_SDEI_ASYNC_PF_NUM);
const ENTRY = 0xffff800010000000n;

describe('SDEI function IDs', () => {
  // facts/arm64.md §4: SDEI_1_0_FN(n) = 0xC4000020 + n; REGISTER 0x21, ENABLE 0x22, COMPLETE 0x25, PE_UNMASK 0x2C
  it('uses the DEN0054 numbers', () => {
    expect(SDEI_EVENT_REGISTER).toBe(0xc4000021);
    expect(SDEI_EVENT_ENABLE).toBe(0xc4000022);
    expect(SDEI_EVENT_COMPLETE).toBe(0xc4000025);
    expect(SDEI_PE_MASK).toBe(0xc400002b);
    expect(SDEI_PE_UNMASK).toBe(0xc400002c);
  });

  // facts/arm64.md §4: return values INVALID_PARAMETERS -2, DENIED -3
  it('uses the DEN0054 return values', () => {
    expect([SDEI_SUCCESS, SDEI_INVALID_PARAMETERS, SDEI_DENIED]).toEqual([0n, -2n, -3n]);
  });

  // facts/arm64.md §1 v2–v4: KVM_SDEI_ASYNC_PF_NUM 0x40400001 next to KVM_SDEI_DEFAULT_NUM 0x40400000
  it('numbers the KVM events 0x40400000 (default) and 0x40400001 (async PF)', () => {
    expect(KVM_SDEI_DEFAULT_NUM).toBe(0x40400000);
    expect(KVM_SDEI_ASYNC_PF_NUM).toBe(0x40400001);
  });
});

describe('SDEI_EVENT_REGISTER', () => {
  it('registers the async-PF event with its entry point', () => {
    const h = harness({ guestInit: false });

    const r = hvc(h, SDEI_EVENT_REGISTER, EV, ENTRY, 0n);

    expect(r[0]).toBe(SDEI_SUCCESS);
    expect(h.vcpu().state.sdei.events.get(KVM_SDEI_ASYNC_PF_NUM)).toMatchObject({ registered: true, entry: ENTRY });
  });

  // facts/arm64.md §4 / PROTOCOLS.md §4.7: unknown event → SDEI_INVALID_PARAMETERS (-2)
  it.each([0n, 0x40400002n, 0x12345n])('answers INVALID_PARAMETERS for unknown event %s', (num) => {
    const h = harness({ guestInit: false });

    const r = hvc(h, SDEI_EVENT_REGISTER, num, ENTRY, 0n);

    expect(r[0]).toBe(-2n);
  });

  // PROTOCOLS.md §4.7 "registering twice → SDEI_DENIED"; facts/arm64.md §4 DENIED -3
  it('answers DENIED (-3) when the event is already registered', () => {
    const h = harness(); // the boot sequence registered 0x40400001

    const r = hvc(h, SDEI_EVENT_REGISTER, EV, ENTRY, 0n);

    expect(r[0]).toBe(-3n);
  });
});

describe('SDEI_EVENT_ENABLE', () => {
  // facts/arm64.md §4: dispatch needs the event registered and enabled; enable of an unregistered event → DENIED
  it('answers DENIED for an event that is not registered', () => {
    const h = harness({ guestInit: false });

    const r = hvc(h, SDEI_EVENT_ENABLE, EV);

    expect(r[0]).toBe(SDEI_DENIED);
    expect(h.vcpu().state.sdei.events.get(KVM_SDEI_ASYNC_PF_NUM)?.enabled).toBe(false);
  });

  it('answers DENIED for the default event, which the booted guest never registered', () => {
    const h = harness();

    const r = hvc(h, SDEI_EVENT_ENABLE, BigInt(KVM_SDEI_DEFAULT_NUM));

    expect(r[0]).toBe(SDEI_DENIED);
  });

  it('answers INVALID_PARAMETERS for an unknown event', () => {
    const h = harness({ guestInit: false });

    const r = hvc(h, SDEI_EVENT_ENABLE, 0x12345n);

    expect(r[0]).toBe(SDEI_INVALID_PARAMETERS);
  });

  it('enables a registered event', () => {
    const h = harness({ guestInit: false });
    hvc(h, SDEI_EVENT_REGISTER, EV, ENTRY, 0n);

    const r = hvc(h, SDEI_EVENT_ENABLE, EV);

    expect(r[0]).toBe(SDEI_SUCCESS);
    expect(h.vcpu().state.sdei.events.get(KVM_SDEI_ASYNC_PF_NUM)?.enabled).toBe(true);
  });
});

describe('enable, disable and unregister of an event in use (the SDEI series\' kvm_sdei_hypercall_enable(), _unregister())', () => {
  // arch/arm64/kvm/sdei.c of the SDEI virtualisation series: "Verify its enablement state" → SDEI_DENIED
  it('an enable or a disable that changes nothing is DENIED', () => {
    const h = harness({ guestInit: false });
    hvc(h, SDEI_EVENT_REGISTER, EV, ENTRY, 0n);
    expect(hvc(h, arm64Abi.SDEI_EVENT_DISABLE, EV)[0]).toBe(SDEI_DENIED);
    expect(hvc(h, SDEI_EVENT_ENABLE, EV)[0]).toBe(SDEI_SUCCESS);
    expect(hvc(h, SDEI_EVENT_ENABLE, EV)[0]).toBe(SDEI_DENIED);
    expect(hvc(h, arm64Abi.SDEI_EVENT_DISABLE, EV)[0]).toBe(SDEI_SUCCESS);
  });

  // the same functions: "Check if there is pending events" (the event's refcount: queued or running) → SDEI_PENDING, first
  it('an event queued for dispatch is PENDING to disable or unregister, and stays registered and enabled', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A);
    const s = h.vcpu().state.sdei;
    expect(s.queued).toBe(KVM_SDEI_ASYNC_PF_NUM);

    expect(arm64Abi.SDEI_PENDING).toBe(-5n);
    expect(hvc(h, arm64Abi.SDEI_EVENT_DISABLE, EV)[0]).toBe(arm64Abi.SDEI_PENDING);
    expect(hvc(h, arm64Abi.SDEI_EVENT_UNREGISTER, EV)[0]).toBe(arm64Abi.SDEI_PENDING);
    expect(s.events.get(KVM_SDEI_ASYNC_PF_NUM)).toMatchObject({ registered: true, enabled: true });
  });
});

describe('SDEI_EVENT_COMPLETE', () => {
  // facts/arm64.md §4: COMPLETE finishes a dispatched handler; with nothing running → DENIED
  it('answers DENIED when no event is running', () => {
    const h = readyHarness();
    expect(h.vcpu().state.sdei.running).toBeNull();

    const r = hvc(h, SDEI_EVENT_COMPLETE);

    expect(r[0]).toBe(SDEI_DENIED);
  });
});

describe('PE mask', () => {
  // PE masked at vCPU create until SDEI_PE_UNMASK (gwshan/linux arch/arm64/kvm/sdei.c kvm_sdei_create_vcpu()); the
  // guest unmasks it in drivers/firmware/arm_sdei.c sdei_cpuhp_up() (Linux 6.12)
  it('starts masked and the boot sequence unmasks it', () => {
    const off = harness({ guestInit: false });
    const booted = harness();

    expect(off.vcpu().state.sdei.peMasked).toBe(true);
    expect(booted.vcpu().state.sdei.peMasked).toBe(false);
  });

  // kvm_sdei_inject(): -EPERM if the PE is masked; PROTOCOLS.md §2 step 7 "no" branch; no halt in v2–v4: v4 07/15
  // try_async_pf() returns 1 once the work is queued, whatever kvm_arch_async_page_not_present() answered, so the
  // vCPU re-enters the guest (undeliveredWait 'retry')
  it('after SDEI_PE_MASK a not-present is not injected and the vCPU re-enters without halting', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    expect(hvc(h, SDEI_PE_MASK)[0]).toBe(SDEI_SUCCESS);

    h.fault(GFN_A);

    const v = h.vcpu();
    expect(v.injected).toBeNull();
    expect(v.state.sdei.queued).toBeNull();
    expect(v.mode).toBe('run');
    expect(h.backend.caps.undeliveredWait).toBe('retry');
    expect(h.sim.metrics.retryReasons.toJSON()).toEqual({ 'not-injected': 1 });
    expect(h.sim.metrics.haltReasons.toJSON()).toEqual({});
    expect(h.sim.metrics.notPresentDelivered).toBe(0);
  });

  // v4 07/15 (20210815005947.83699-8-gshan@redhat.com) kvm_arch_async_page_not_present(): token and
  // reason are written and notpresent_pending set before `return !kvm_sdei_inject(...)`, with no cleanup
  it('a refused inject leaves the control block written, so the task is never flagged', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    hvc(h, SDEI_PE_MASK);
    const task = h.vcpu().current!;

    h.fault(GFN_A);
    h.enter();

    const s = h.vcpu().state;
    expect(blockAt(s)).toEqual({ reason: arm64Abi.KVM_PV_REASON_PAGE_NOT_PRESENT, token: tokenOf(h, GFN_A) });
    expect(s.sdei.dispatched).toBe(0);
    expect(task.state).toBe('running');
    expect(task.flaggedToken).toBe(-1);
  });

  // v4 08/15 (20210815005947.83699-9-gshan@redhat.com) kvm_arch_vcpu_runnable(): with async PF enabled,
  // the done list, notpresent_pending or pageready_pending make the vCPU runnable. The DELIVERED
  // notifier or a cancel clears notpresent_pending; after a refused inject neither comes.
  it('a refused inject leaves the vCPU runnable for good: its WFI no longer blocks', () => {
    const h = readyHarness();
    const v = h.vcpu();
    expect(h.backend.apfRunnable(v)).toBe(false);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    hvc(h, SDEI_PE_MASK);
    h.fault(GFN_A);
    h.enter();
    expect(v.state.notpresentPending).toBe(true);
    hvc(h, SDEI_PE_UNMASK);
    h.complete(GFN_A);
    h.enter(); // page-ready out: the PPI taken and acknowledged
    h.enter();
    expect(v.state.pagereadyPending).toBe(false);
    expect(v.apf.done.length).toBe(0);
    expect(h.backend.apfRunnable(v)).toBe(true);
    // The guest's idle WFI: a spin of exits, not a block (core/sim/vcpu-run.ts closeIdleSpin()).
    v.current = null;
    h.sim.enterWait(v, 'idle');
    expect(v.idleSpinFrom).toBeGreaterThanOrEqual(0);
  });

  it('a vCPU with nothing pending blocks in its WFI; so does one of a design without APF runnable terms (6.12\'s arm64, no APF)', () => {
    const h = readyHarness();
    const v = h.vcpu();
    v.current = null;
    h.sim.enterWait(v, 'idle');
    expect(v.idleSpinFrom).toBe(-1);
    // The RFCs have terms of their own (test/arches/arm64/dabt.test.ts, kvm_arch_vcpu_runnable()).
    for (const id of ['sync-arm64']) {
      const other = new Harness(findVariant(id));
      other.vcpu().apf.done.push({ token: 1 } as AsyncPfWork);
      expect(other.backend.apfRunnable(other.vcpu()), id).toBe(false);
    }
  });

  // kvm_sdei_inject(): -EPERM unless the event is registered *and* enabled (facts/arm64.md §4 dispatch conditions)
  it('a registered but disabled event is not injected', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    expect(hvc(h, arm64Abi.SDEI_EVENT_DISABLE, EV)[0]).toBe(SDEI_SUCCESS);

    h.fault(GFN_A);

    expect(h.vcpu().injected).toBeNull();
    expect(h.vcpu().mode).toBe('run');
    expect(h.sim.metrics.retryReasons.toJSON()).toEqual({ 'not-injected': 1 });
    expect(h.sim.metrics.haltReasons.toJSON()).toEqual({});
  });

  it('SDEI_PE_UNMASK lets the next not-present through', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    hvc(h, SDEI_PE_MASK);
    hvc(h, SDEI_PE_UNMASK);

    h.fault(GFN_A);

    expect(h.vcpu().injected?.name).toBe('SDEI 0x40400001');
  });
});

describe('dispatch of the async-PF event', () => {
  // PROTOCOLS.md §4.7 asyncPageNotPresent: "dispatch the SDEI event"; facts/arm64.md §1 v2–v4 SDEI 0x40400001
  it('a user-mode fault queues SDEI event 0x40400001 for the next entry', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(GFN_A);

    const v = h.vcpu();
    expect(v.injected).toMatchObject({ name: 'SDEI 0x40400001', signal: 'not-present', token: tokenOf(h, GFN_A) });
    expect(v.state.sdei.queued).toBe(KVM_SDEI_ASYNC_PF_NUM);
    expect(blockAt(v.state)).toEqual({ reason: arm64Abi.KVM_PV_REASON_PAGE_NOT_PRESENT, token: tokenOf(h, GFN_A) });
  });

  // v4 14/15 kvm_async_pf_sdei_handler(): flag the task (TIF_ASYNC_PF), clear token then reason; facts/arm64.md §4:
  // an event that interrupted EL1 with IRQs masked completes back to where it was (SDEI_EVENT_COMPLETE)
  it('from EL1 with IRQs masked the handler flags the task, clears the block and completes plainly', () => {
    const h = sendAlwaysHarness();
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    h.vcpu().state.id = 5;
    const task = h.vcpu().current!;
    h.setCpu({ irqsMasked: false });
    h.fault(GFN_A); // the not-present may go out with IRQs on; it is taken with them masked
    const token = tokenOf(h, GFN_A);
    h.setCpu({ irqsMasked: true });

    h.enter();

    const s = h.vcpu().state;
    expect(token).toBe(0x5000);
    expect(task.flaggedToken).toBe(token);
    expect(task.state).toBe('running');
    expect(blockAt(s)).toEqual({ reason: 0, token: 0 });
    expect(s.sdei.dispatched).toBe(1);
    expect(s.sdei.running).toBeNull();
    expect(exitCount(h, 'HVC64(SDEI_EVENT_COMPLETE)')).toBe(1);
    expect(exitCount(h, 'HVC64(SDEI_EVENT_COMPLETE_AND_RESUME)')).toBe(0);
    expect(s.notpresentPending).toBe(false); // v4 09/15 kvm_arch_async_sdei_notifier(): DELIVERED clears notpresent_pending
    expect(h.vcpu().injected).toBeNull();
  });

  // facts/arm64.md §4: do_sdei_event() returns the IRQ vector for an event that interrupted EL0, the entry
  // code calls COMPLETE_AND_RESUME, the dispatcher emulates the IRQ entry, and the task sleeps at its return
  it('from EL0 the event completes and resumes at the IRQ vector: the task sleeps at that return to user', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.vcpu().state.id = 9;
    const task = h.vcpu().current!;
    h.fault(GFN_A);
    const token = tokenOf(h, GFN_A);

    h.enter();

    expect(task.state).toBe('sleeping');
    expect(task.sleepToken).toBe(token);
    expect(task.flaggedToken).toBe(-1);
    expect(h.vcpu().current).toBeNull();
    expect(exitCount(h, 'HVC64(SDEI_EVENT_COMPLETE_AND_RESUME)')).toBe(1);
    expect(exitCount(h, 'HVC64(SDEI_EVENT_COMPLETE)')).toBe(0);
    expect(h.sim.metrics.injections.toJSON()['IRQ exception (emulated)']).toBe(1);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // The resumed IRQ entry is what puts the task to sleep: it does not wait for the self SGI to be taken
  it('the task sleeps at that return to user even if the guest cannot take its self SGI first', () => {
    const h = readyHarness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const task = h.vcpu().current!;
    h.fault(GFN_A);
    h.setCpu({ irqsMasked: true }); // what PSTATE.I says at entry does not matter to the resumed IRQ entry

    h.enter();

    expect(task.state).toBe('sleeping');
  });

  // PROTOCOLS.md §4.7: "Each call is an exit" — SDEI calls are counted like the SMCCC ones
  it.each([
    ['SDEI_PE_MASK', SDEI_PE_MASK],
    ['SDEI_PE_UNMASK', SDEI_PE_UNMASK],
    ['SDEI_EVENT_COMPLETE', SDEI_EVENT_COMPLETE],
    ['SDEI_EVENT_ENABLE', SDEI_EVENT_ENABLE],
  ])('%s is counted once as an HVC64 exit', (name, fn) => {
    const h = readyHarness();
    const key = `HVC64(${name})`;
    const before = exitCount(h, key);

    hvc(h, fn, EV);

    expect(exitCount(h, key) - before).toBe(1);
  });
});
