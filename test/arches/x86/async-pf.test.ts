/**
 * The x86 kvm_arch_* async-PF hooks (arches/x86/async-pf.ts) driven through the harness: token,
 * eligibility, not-present, page-ready and its ACK backpressure, repeated faults, the queue cap.
 * Facts: facts/x86.md §1 "Other constants", §2 "Host flow (current)".
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { BadInputError, x86Abi } from '../../../index.js';
import { ACK_EXIT, areaAt, booted, exitCount, G, harness, MSR_KVM_ASYNC_PF_EN, runNextTask, SEND_ALWAYS, tokenOf, wrmsr, type H } from './helpers.js';

/** The current task of vCPU `i` faults on `gfn` in user mode; returns the token in CR2. */
function userFault(h: H, gfn: number, i = 0): number {
  h.setCpu({ privilege: 'user', irqsMasked: false }, i);
  h.fault(gfn, i);
  return h.vcpu(i).state.lastPf!.cr2;
}

/** A user-mode fault whose #PF the guest then takes: the task sleeps on the token. */
function userFaultAndSleep(h: H, gfn: number, i = 0): number {
  const token = userFault(h, gfn, i);
  h.enter(i);
  return token;
}

/** A kernel-mode fault (queued, not injected, vCPU halts); the harness then lets the vCPU go on. */
function kernelFaultThenResume(h: H, gfn: number, i = 0): void {
  h.setCpu({ privilege: 'kernel', irqsMasked: false }, i);
  h.fault(gfn, i);
  h.vcpu(i).mode = 'run';
}

describe('token', () => {
  // facts/x86.md §1 "Token": `(apf.id++ << 12) | vcpu_id`; with id starting at 0 the guard sets
  // id = 1 first, so consecutive faults give 0x1000, 0x2000, … (| vcpu_id).
  it('consecutive faults on vCPU 0 get 0x1000 then 0x2000', () => {
    const h = booted();

    const t1 = userFaultAndSleep(h, G);
    runNextTask(h);
    const t2 = userFault(h, G + 1);

    expect(t1).toBe(0x1000);
    expect(t2).toBe(0x2000);
  });

  // facts/x86.md §1 "Token": the id advances once per allocated token, whatever the delivery.
  it('a run of faults gets 0x1000, 0x2000, 0x3000, 0x4000', () => {
    const h = booted();

    for (let k = 0; k < 4; k++) kernelFaultThenResume(h, G + k);

    expect([0, 1, 2, 3].map((k) => tokenOf(h, G + k))).toEqual([0x1000, 0x2000, 0x3000, 0x4000]);
  });

  // facts/x86.md §1 "Token": vcpu_id in the low 12 bits.
  it('carries vcpu_id in the low bits on vCPU 1', () => {
    const h = booted({ vcpus: 2 });
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.enter(1);

    const t1 = userFaultAndSleep(h, G, 1);
    runNextTask(h, 1);
    const t2 = userFault(h, G + 1, 1);

    expect(t1).toBe(0x1001);
    expect(t2).toBe(0x2001);
    expect(t1 & 0xfff).toBe(1);
  });

  // facts/x86.md §1 "Token": "If id<<12 == 0, id is first set to 1, so a token is never 0"
  // (6f3c1fc53d86). id = 2^20 makes id<<12 == 0 in u32.
  it('wraps: id = 0x100000 gives (1 << 12) | vcpu_id, never 0', () => {
    const h = booted({ vcpus: 2 });
    h.setCpu({ privilege: 'user', irqsMasked: false }, 1);
    h.enter(1);
    h.vcpu(0).state.id = 0x100000;
    h.vcpu(1).state.id = 0x100000;

    const t0 = userFault(h, G, 0);
    const t1 = userFault(h, G + 1, 1);

    expect(t0).toBe((1 << 12) | 0);
    expect(t1).toBe((1 << 12) | 1);
    expect(t0).not.toBe(0);
    expect(h.vcpu(0).state.id).toBe(2);
  });

  // facts/x86.md §1 "Token": never 0; low 12 bits = vcpu_id; high bits = the (guarded) id.
  it('property: for id and vcpu_id in 0..4095, token != 0 and token & 0xfff == vcpu_id', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4095 }), fc.integer({ min: 0, max: 4095 }), (id, vcpuId) => {
        const s = h.backend.createVcpuState(vcpuId);
        s.id = id;
        v.state = s;

        const { token } = h.backend.setupAsyncPf(v, G);

        expect(token).not.toBe(0);
        expect(token & 0xfff).toBe(vcpuId);
        expect(token >>> 12).toBe(id === 0 ? 1 : id);
        expect(s.id).toBe((id === 0 ? 1 : id) + 1);
      }),
    );
  });

  // facts/x86.md §1 "Token" (u32): over the whole u32 id range, including multiples of 2^20.
  it('property: over any u32 id the token is never 0 and is a u32', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    const ids = fc.oneof(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 4095 }).map((k) => (k * 0x100000) >>> 0),
    );
    fc.assert(
      fc.property(ids, fc.integer({ min: 0, max: 4095 }), (id, vcpuId) => {
        const s = h.backend.createVcpuState(vcpuId);
        s.id = id;
        v.state = s;

        const { token } = h.backend.setupAsyncPf(v, G);

        expect(token).not.toBe(0);
        expect(Number.isInteger(token) && token >= 0 && token <= 0xffffffff).toBe(true);
        expect(token & 0xfff).toBe(vcpuId);
        const expectedId = ((id << 12) >>> 0) === 0 ? 1 : id;
        expect(token >>> 12).toBe(expectedId & 0xfffff);
      }),
    );
  });
});

describe('not present', () => {
  // facts/x86.md §1 "Not-present is a #PF": vector 14, error code 0, CR2 = token; §2
  // kvm_arch_async_page_not_present writes flags = 1; §3 "#PF path": the guest reads and clears
  // flags and sleeps the task on the token.
  it('injects #PF 14, error code 0, CR2 = token, flags = 1; the guest clears flags and sleeps', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(G);

    const token = tokenOf(h, G);
    expect(v.injected?.name).toBe('#PF');
    expect(v.injected?.token).toBe(token);
    expect(v.state.lastPf).toEqual({ vector: 14, errorCode: 0, cr2: token });
    expect(areaAt(v.state).flags).toBe(1);
    expect(v.mode).toBe('run');

    h.enter();

    expect(areaAt(v.state).flags).toBe(0);
    expect(task.state).toBe('sleeping');
    expect(task.sleepToken).toBe(token);
    expect(v.current).toBeNull();
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // facts/x86.md §1 "Reasons": KVM_PV_REASON_PAGE_NOT_PRESENT = 1.
  it('the flags value written is KVM_PV_REASON_PAGE_NOT_PRESENT (1)', () => {
    expect(x86Abi.KVM_PV_REASON_PAGE_NOT_PRESENT).toBe(1);
    expect(x86Abi.PF_VECTOR).toBe(14);
  });
});

describe('not present only at CPL != 0 unless SEND_ALWAYS', () => {
  // facts/x86.md §2 kvm_can_deliver_async_pf: "Unless send_always: false at CPL0"; §2
  // kvm_arch_async_page_not_present step 4: KVM_REQ_APF_HALT instead of the injection.
  it('a kernel-mode fault is not injected; the vCPU halts with reason kernel-mode', () => {
    const h = booted();
    const v = h.vcpu();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });

    h.fault(G);

    expect(v.injected).toBeNull();
    expect(areaAt(v.state).flags).toBe(0);
    expect(v.mode).toBe('halt');
    expect(h.sim.metrics.haltReasons.toJSON()['kernel-mode']).toBe(1);
    // facts/x86.md §2 "kvm_arch_async_page_not_present" step 2 "Always add the gfn to the hash": the work is
    // outstanding all the same.
    expect(v.apf.gfns.has(G)).toBe(true);
  });

  // facts/x86.md §1 EN bit 1 SEND_ALWAYS "(CPL0 delivery allowed)"; §1 "Current EN write path"
  // step 7 sets send_always; §2 kvm_can_deliver_async_pf.
  it('with EN written with SEND_ALWAYS, a kernel-mode fault is injected', () => {
    const h = booted();
    const v = h.vcpu();
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, v.state.msrEnVal | SEND_ALWAYS).kind).toBe('ok');
    h.enter(); // the re-enable's wake-all goes out and is ACKed
    h.setCpu({ privilege: 'kernel', irqsMasked: false });

    h.fault(G);

    expect(v.state.sendAlways).toBe(true);
    expect(v.injected?.name).toBe('#PF');
    expect(v.state.lastPf?.cr2).toBe(tokenOf(h, G));
    expect(areaAt(v.state).flags).toBe(1);
    expect(v.mode).toBe('run');
    expect(h.sim.metrics.haltReasons.toJSON()['kernel-mode']).toBeUndefined();
  });
});

describe('canDoAsyncPf', () => {
  // facts/x86.md §2 kvm_can_do_async_pf: "Otherwise returns kvm_arch_interrupt_allowed()": IF=0 →
  // synchronous fault.
  it('interrupts masked → synchronous fault, reason irqs-masked', () => {
    const h = booted();
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: true });

    h.fault(G);

    expect(v.mode).toBe('sync');
    expect(v.injected).toBeNull();
    expect(v.apf.queued).toBe(0);
    expect(h.sim.metrics.syncFallbacks.toJSON()['irqs-masked']).toBe(1);
  });

  // facts/x86.md §2 kvm_can_do_async_pf: "False with … kvm_is_exception_pending".
  it('an exception pending → synchronous fault, reason exception-pending', () => {
    const h = booted();
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G); // injects a #PF that the guest has not taken yet
    expect(v.injected?.name).toBe('#PF');
    const queued = v.apf.queued;
    const id = v.state.id;

    expect(h.backend.canDoAsyncPf(v)).toEqual({ ok: false, reason: 'exception-pending' });
    h.fault(G + 1);

    expect(v.mode).toBe('sync');
    expect(v.apf.queued).toBe(queued);
    expect(v.state.id).toBe(id);
    expect(v.apf.gfns.has(G + 1)).toBe(false);
  });

  // facts/x86.md §2 kvm_can_do_async_pf: "False with no in-kernel LAPIC".
  it('no in-kernel LAPIC → synchronous fault', () => {
    const h = booted({ knobs: { lapicInKernel: 0 } });
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(G);

    expect(v.mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()['no-lapic']).toBe(1);
  });
});

describe('page ready', () => {
  // facts/x86.md §1 "Ready is an IRQ": APIC_DM_FIXED on apf.vec; §2 kvm_arch_async_page_present
  // writes the token slot, pageready_pending = true; §3 IRQ handler: wake, token = 0, ACK.
  it.each([
    ['default 0xec', undefined, 0xec],
    ['knob 0xf3', 0xf3, 0xf3],
  ])('delivers on the programmed vector (%s), token in the slot; the guest wakes, clears, ACKs', (_n, knob, line) => {
    const h = booted(knob === undefined ? {} : { knobs: { vector: knob } });
    const v = h.vcpu();
    const task = v.current!;
    const token = userFaultAndSleep(h, G);
    h.complete(G);
    h.setCpu({ irqsMasked: true });
    const acks = exitCount(h, ACK_EXIT);

    h.enter(); // the host delivers; IF=0 so the guest has not taken it yet

    expect(areaAt(v.state).token).toBe(token);
    expect(v.state.pagereadyPending).toBe(true);
    expect(v.irqLine(line)?.pending).toBe(true);
    expect(v.irqLines.map((l) => l.line)).toEqual([line]);
    expect(v.irqLine(line)?.signal).toBe('ready');
    expect(task.state).toBe('sleeping');

    h.setCpu({ irqsMasked: false });
    h.enter();

    expect(task.state).toBe('runnable');
    expect(areaAt(v.state).token).toBe(0);
    expect(v.state.pagereadyPending).toBe(false);
    expect(exitCount(h, ACK_EXIT)).toBe(acks + 1);
    expect(v.apf.gfns.has(G)).toBe(false);
    expect(v.apf.queued).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // facts/x86.md §2 kvm_check_async_pf_completion: can_dequeue is "token slot == 0 … So only one
  // ready event can be outstanding"; §2 "ACK write": pageready_pending = false, then
  // kvm_check_async_pf_completion() drains the next.
  it('at most one page-ready outstanding; the second goes out after the ACK', () => {
    const h = booted();
    const v = h.vcpu();
    const taskA = v.current!;
    const tA = userFaultAndSleep(h, G);
    runNextTask(h);
    const taskB = v.current!;
    const tB = userFaultAndSleep(h, G + 1);
    h.complete(G);
    h.complete(G + 1);
    expect(v.apf.done).toHaveLength(2);
    const delivered0 = h.sim.metrics.readyDelivered;
    const acks0 = exitCount(h, ACK_EXIT);
    // Record, each time the guest's page-ready handler runs, the token and the ACKs so far.
    const seen: { token: number; acks: number }[] = [];
    const handler = v.irqHandlers.get(0xec)!;
    v.irqHandlers.set(0xec, () => {
      seen.push({ token: areaAt(v.state).token, acks: exitCount(h, ACK_EXIT) });
      handler();
    });
    h.setCpu({ irqsMasked: true });

    h.enter();

    expect(h.sim.metrics.readyDelivered).toBe(delivered0 + 1);
    expect(areaAt(v.state).token).toBe(tA);
    expect(v.apf.done).toHaveLength(1);
    expect(v.apf.done[0].token).toBe(tB);
    expect(h.backend.canDequeueAsyncPagePresent(v)).toEqual({ ok: false, reason: 'ready-unacked' });

    h.setCpu({ irqsMasked: false });
    h.enter();

    expect(seen).toEqual([
      { token: tA, acks: acks0 },
      { token: tB, acks: acks0 + 1 },
    ]);
    expect(h.sim.metrics.readyDelivered).toBe(delivered0 + 2);
    expect(exitCount(h, ACK_EXIT)).toBe(acks0 + 2);
    expect(taskA.state).toBe('runnable');
    expect(taskB.state).toBe('runnable');
    expect(v.apf.done).toHaveLength(0);
    expect(areaAt(v.state).token).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // facts/x86.md §2 "Completion": present_queued does KVM_REQ_APF_READY, and kvm_vcpu_kick only
  // if !pageready_pending.
  it('present_queued kicks only if no page-ready awaits its ACK', () => {
    const h = booted();
    const v = h.vcpu();
    userFaultAndSleep(h, G);
    runNextTask(h);
    userFaultAndSleep(h, G + 1);
    const kick = vi.spyOn(v, 'kick');

    h.complete(G); // nothing awaits an ACK: request + kick

    expect(v.apf.readyRequested).toBe(true);
    expect(kick).toHaveBeenCalledTimes(1);

    h.setCpu({ irqsMasked: true });
    h.enter(); // G's page-ready goes out; IF=0: no ACK yet
    expect(v.state.pagereadyPending).toBe(true);
    expect(v.apf.done).toHaveLength(0);

    h.complete(G + 1); // first on an empty done list, but a page-ready awaits its ACK: no kick

    expect(v.apf.readyRequested).toBe(true);
    expect(kick).toHaveBeenCalledTimes(1);
    kick.mockRestore();
  });
});

describe('repeated fault', () => {
  // facts/x86.md §2 "Fault" step 3: gfn already hashed → kvm_async_pf_repeated_fault,
  // KVM_REQ_APF_HALT, RET_PF_RETRY: no second token, no second work.
  it('a fault on an outstanding gfn halts without a second token', () => {
    const h = booted();
    const v = h.vcpu();
    const token = userFaultAndSleep(h, G);
    runNextTask(h);
    const id = v.state.id;
    const queued = v.apf.queued;
    const work = v.apf.gfns.get(G);

    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G);

    expect(v.mode).toBe('halt');
    expect(v.state.id).toBe(id);
    expect(v.apf.queued).toBe(queued);
    expect(v.apf.gfns.get(G)).toBe(work);
    expect(v.apf.gfns.get(G)?.token).toBe(token);
    expect(v.injected).toBeNull();
    expect(h.sim.metrics.repeatedFaults).toBe(1);
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

describe('queue cap', () => {
  // facts/x86.md §1 "ASYNC_PF_PER_VCPU = 64 … queued >= 64 → synchronous fault (APFC)"; §2
  // kvm_setup_async_pf "fails if queued >= 64" → §2 "Fault" step 5 synchronous fault. The token
  // id is consumed first (facts/x86.md §2a; arch/x86/kvm/mmu/mmu.c kvm_arch_setup_async_pf()
  // calls alloc_apf_token() before virt/kvm/async_pf.c kvm_setup_async_pf() checks the cap), so
  // the refused fault still advances apf.id.
  it('with 64 works queued, the next fault is synchronous with reason queue-full and uses up an id', () => {
    const h = booted();
    const v = h.vcpu();
    expect(v.apf.queued).toBe(0);
    for (let k = 0; k < 64; k++) kernelFaultThenResume(h, G + k);
    expect(v.apf.queued).toBe(64);
    const id = v.state.id;
    runNextTask(h); // a fresh task, so its fault is counted as a first fault
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(G + 64);

    expect(v.mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()['queue-full']).toBe(1);
    expect(v.apf.queued).toBe(64);
    expect(v.state.id).toBe(id + 1);
    expect(v.apf.gfns.has(G + 64)).toBe(false);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // facts/x86.md §1 (contrast): 63 queued still leaves room for one more async fault.
  it('with 63 works queued, the next fault still goes async', () => {
    const h = booted();
    const v = h.vcpu();
    for (let k = 0; k < 63; k++) kernelFaultThenResume(h, G + k);
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(G + 63);

    expect(v.mode).toBe('run');
    expect(v.injected?.name).toBe('#PF');
    expect(v.apf.queued).toBe(64);
  });

  // facts/x86.md §1 "ASYNC_PF_PER_VCPU" = 64 (the backend's cap).
  it('ASYNC_PF_PER_VCPU is 64', () => {
    expect(x86Abi.ASYNC_PF_PER_VCPU).toBe(64);
    expect(booted().backend.caps.asyncPfPerVcpu).toBe(64);
  });
});

describe('page-ready only where not-present was injected', () => {
  // facts/x86.md §2 kvm_arch_async_page_present: inject only if "(wakeup_all ||
  // notpresent_injected) && enabled"; "Always: halted = false, mp_state = RUNNABLE".
  it('a kernel-mode fault (halt) then completion: no page-ready, but the halt is cleared', () => {
    const h = booted();
    const v = h.vcpu();
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(G);
    expect(v.mode).toBe('halt');
    const delivered = h.sim.metrics.readyDelivered;
    const acks = exitCount(h, ACK_EXIT);

    h.complete(G);
    h.enter();

    expect(v.mode).toBe('run');
    expect(h.sim.metrics.readyDelivered).toBe(delivered);
    expect(areaAt(v.state).token).toBe(0);
    expect(v.state.pagereadyPending).toBe(false);
    expect(v.irqLine(0xec)?.pending ?? false).toBe(false);
    expect(exitCount(h, ACK_EXIT)).toBe(acks);
    expect(v.apf.gfns.has(G)).toBe(false);
    expect(v.apf.queued).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

describe('HLT passthrough (kvm_hlt_in_guest)', () => {
  // facts/x86.md §2a; arch/x86/kvm/x86.c kvm_can_do_async_pf(): with HLT in the guest a fault that
  // cannot be delivered (here: CPL0 without SEND_ALWAYS) is synchronous instead of a halt, and
  // no token is allocated.
  it('hltInGuest: 1 makes an undeliverable (kernel-mode) fault synchronous, reason hlt-in-guest', () => {
    const h = booted({ knobs: { hltInGuest: 1 } });
    const v = h.vcpu();
    const id = v.state.id;
    h.setCpu({ privilege: 'kernel', irqsMasked: false });

    h.fault(G);

    expect(v.mode).toBe('sync');
    expect(v.apf.queued).toBe(0);
    expect(v.state.id).toBe(id);
    expect(h.sim.metrics.syncFallbacks.toJSON()['hlt-in-guest']).toBe(1);
    expect(h.sim.metrics.haltReasons.toJSON()['kernel-mode']).toBeUndefined();
  });

  // facts/x86.md §2a (contrast): a deliverable fault still goes async with HLT passthrough.
  it('hltInGuest: 1 leaves a deliverable (user-mode) fault asynchronous', () => {
    const h = booted({ knobs: { hltInGuest: 1 } });
    const v = h.vcpu();

    userFault(h, G);

    expect(v.mode).toBe('run');
    expect(v.injected?.name).toBe('#PF');
  });

  // Bad input: the knob is a VM capability, on or off.
  it('refuses hltInGuest: 2', () => {
    expect(() => harness({ knobs: { hltInGuest: 2 } })).toThrow(BadInputError);
  });
});

describe('the order of the checks on a fault', () => {
  // arch/x86/kvm/mmu/mmu.c __kvm_faultin_pfn() (6.12; __kvm_mmu_faultin_pfn() later, facts/x86.md
  // §2 "Fault" steps 1–3): kvm_find_async_pf_gfn() is looked up only inside
  // `if (!prefetch && kvm_can_do_async_pf())`. With IF=0 a fault on an outstanding gfn is
  // therefore synchronous, never a repeated-fault halt.
  it('IF=0 on an outstanding gfn is synchronous (irqs-masked), not a repeated fault', () => {
    const h = booted();
    const v = h.vcpu();
    userFaultAndSleep(h, G);
    runNextTask(h);
    h.setCpu({ privilege: 'user', irqsMasked: true });

    h.fault(G);

    expect(v.mode).toBe('sync');
    expect(h.sim.metrics.repeatedFaults).toBe(0);
    expect(h.sim.metrics.syncFallbacks.toJSON()['irqs-masked']).toBe(1);
  });
});

describe('page present makes the vCPU runnable', () => {
  // facts/x86.md §2a; arch/x86/kvm/x86.c kvm_arch_async_page_present() ends with
  // `mp_state = KVM_MP_STATE_RUNNABLE` whatever it injected: a guest HLT ends even where no
  // interrupt can (here the guest halted with IF=0, so the page-ready IRQ cannot wake it).
  it('a vCPU halted in the guest with IF=0 leaves HLT when page-ready is presented', () => {
    const h = booted();
    const v = h.vcpu();
    userFaultAndSleep(h, G);
    h.complete(G);
    const work = v.apf.done[0];
    h.setCpu({ irqsMasked: true });
    v.mode = 'idle'; // cli; hlt

    h.backend.asyncPagePresent(v, work);

    expect(v.mode).toBe('run');
  });
});
