/**
 * `x86-pf`, Gleb Natapov's 2010 design (seed 001 = 7c90705bf2a3; PROTOCOLS.md §4.2), one rule per
 * test, driven through the harness and the public API. Sources: the seed's hunks, facts/x86.md §1
 * ("Reserved-bit mask … over time", the 2010 `kvm_vcpu_pv_apf_data` row), §2 "2010 ready path",
 * §3, §6; 2.6.38's arch/x86/kvm/x86.c and arch/x86/kernel/kvm.c where the seed is silent.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findVariant,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  PF2010_EN_RESERVED,
  PF2010_EN_RESERVED_SEND_ALWAYS,
  PF2010_HAZARDS,
  READY_UNANNOUNCED,
  VARIANTS,
  x86Abi,
  x86PfVariant,
  type GuestCallResult,
  type HarnessOptions,
  type Pf2010VcpuState,
} from '../../../index.js';

type H = Harness<Pf2010VcpuState>;
const G = HARNESS_FIRST_MISSING_GFN;
const { MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_ACK } = x86Abi;
const ENABLED = x86Abi.KVM_ASYNC_PF_ENABLED;
const SEND_ALWAYS = x86Abi.KVM_ASYNC_PF_SEND_ALWAYS;
const AREA = 0x200000n;
const EN_EXIT = 'MSR_WRITE(ASYNC_PF_EN)';

function harness(options: HarnessOptions = {}): H {
  return new Harness<Pf2010VcpuState>(x86PfVariant, options);
}

/** Booted, user mode, IF=1, with the enable's wake-all #PF already taken. */
function booted(options: HarnessOptions = {}): H {
  const h = harness(options);
  h.setCpu({ privilege: 'user', irqsMasked: false });
  h.enter();
  return h;
}

function wrmsr(h: H, index: number, value: bigint): GuestCallResult {
  return h.call({ kind: 'wrmsr', index, value });
}

/** The 2010 `reason` word where the host writes it: the area of its last successful enable. */
const reasonAt = (s: Pf2010VcpuState): number => s.memory.read32(s.areaGpa!);

const isGp = (r: GuestCallResult) => r.kind === 'fault' && r.vector === '#GP';

/** Page-ready #PFs delivered since boot, the enable's wake-all not counted. */
const readyAfterBoot = (h: H) => h.sim.metrics.readyDelivered - 1;

/** The current task faults on `gfn` in the given mode; returns the token. */
function faultIn(h: H, gfn: number, privilege: 'user' | 'kernel', i = 0): number {
  h.setCpu({ privilege, irqsMasked: false }, i);
  h.fault(gfn, i);
  return h.vcpu(i).apf.gfns.get(gfn)!.token;
}

/** The scheduler puts the next runnable task on vCPU `i`. */
function runNext(h: H, i = 0): void {
  const v = h.vcpu(i);
  const t = v.runq.pickNext()!;
  t.state = 'running';
  v.current = t;
}

describe('enable: MSR_KVM_ASYNC_PF_EN = GPA | ENABLED (344d9588a9df, 631bc4878220)', () => {
  // 631bc4878220 kvm_guest_cpu_init(): one wrmsrl(EN, pa | ENABLED), then apf_reason.enabled = 1.
  it('boots with one EN write of the 64-byte aligned area | ENABLED, and enabled = 1 in the area', () => {
    const h = harness();
    const s = h.vcpu().state;
    expect(h.exits()).toEqual({ [EN_EXIT]: 1 });
    expect(s.msrVal & 1n).toBe(1n);
    expect(s.msrVal & 0x3fn).toBe(1n);
    expect(s.areaGpa).toBe(s.msrVal & ~0x3fn);
    expect(s.memory.read32(s.guest.apfReasonGpa + 64n)).toBe(1); // apf_reason.enabled, @64
  });

  // 344d9588a9df: kvm_pv_enable_async_pf() queues kvm_async_pf_wakeup_all(); facts/x86.md §2
  // "2010 ready path": page-ready is a #PF with reason 2, CR2 = token (~0 for wake-all).
  it("the enable's wake-all goes out as a #PF with reason 2 and CR2 = 0xffffffff", () => {
    const h = harness();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const s = h.vcpu().state;

    h.sim.checkCompletion(h.vcpu());

    expect(h.vcpu().injected).toMatchObject({ name: '#PF', signal: 'ready', token: 0xffffffff });
    expect(reasonAt(s)).toBe(2);
    expect(s.cr2).toBe(0xffffffff);
    h.enter();
    expect(reasonAt(s)).toBe(0); // the guest's #PF handler read and cleared it
  });

  // facts/x86.md §1 "Reserved-bit mask … over time": 0x3e in 2010 (344d9588a9df) → #GP.
  it.each([1, 2, 3, 4, 5])('EN with reserved bit %i set is #GP (mask 0x3e)', (bit) => {
    const h = booted();
    expect(isGp(wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | (1n << BigInt(bit))))).toBe(true);
  });

  it('property: EN is #GP exactly when it hits 0x3e', () => {
    expect(PF2010_EN_RESERVED).toBe(0x3en);
    const h = booted();
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 0x3fn }), (low) => {
        const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | low);
        expect(isGp(r)).toBe((low & 0x3en) !== 0n);
      }),
    );
  });

  // fc5f06fac6fb ("send in kernel too") frees bit 1: the mask becomes 0x3c (facts/x86.md §1 table).
  it('with the sendAlways knob (fc5f06fac6fb) bit 1 is accepted and 0x3c stays reserved', () => {
    expect(PF2010_EN_RESERVED_SEND_ALWAYS).toBe(0x3cn);
    const h = booted({ knobs: { sendAlways: 1 } });
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | SEND_ALWAYS).kind).toBe('ok');
    expect(h.vcpu().state.sendAlways).toBe(true);
    expect(isGp(wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | 4n))).toBe(true);
  });

  // 2.6.38 has no MSR_KVM_ASYNC_PF_INT / _ACK (5.8 added them): kvm_set_msr_common()'s default is #GP.
  it.each([
    ['INT', MSR_KVM_ASYNC_PF_INT],
    ['ACK', MSR_KVM_ASYNC_PF_ACK],
  ])('MSR_KVM_ASYNC_PF_%s does not exist: write and read are #GP', (_name, index) => {
    const h = booted();
    expect(isGp(wrmsr(h, index, 1n))).toBe(true);
    expect(isGp(h.call({ kind: 'rdmsr', index }))).toBe(true);
  });

  // kvm_pv_enable_async_pf(): msr_val is stored before kvm_gfn_to_hva_cache_init() fails → #GP.
  it('an area outside guest memory is #GP, with the value stored', () => {
    const h = booted();
    const bad = (64n << 20n) | ENABLED;
    expect(isGp(wrmsr(h, MSR_KVM_ASYNC_PF_EN, bad))).toBe(true);
    expect(h.call({ kind: 'rdmsr', index: MSR_KVM_ASYNC_PF_EN })).toEqual({ kind: 'ok', regs: [bad] });
    expect(h.vcpu().state.areaGpa).toBeNull();
  });

  // kvm_pv_enable_async_pf(): !ENABLED → kvm_clear_async_pf_completion_queue().
  it('EN = 0 disables and drops outstanding work', () => {
    const h = booted();
    faultIn(h, G, 'kernel');
    expect(h.vcpu().queued).toBe(1);
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, 0n).kind).toBe('ok');
    expect(h.vcpu().queued).toBe(0);
  });
});

describe('token: (id++ << 12) | vcpu_id, no zero guard (seed 001 mmu.c hunk)', () => {
  // Seed 001: `arch.token = (vcpu->arch.apf.id++ << 12) | vcpu->vcpu_id`; the guard is 6f3c1fc53d86 (2022).
  it('vCPU 0 hands out 0x0 first, then 0x1000, 0x2000', () => {
    const h = booted();
    const tokens = [G, G + 1, G + 2].map((g) => {
      const t = faultIn(h, g, 'kernel');
      h.vcpu().mode = 'run';
      return t;
    });
    expect(tokens).toEqual([0x0, 0x1000, 0x2000]);
  });

  it('vCPU 1 carries its id in the low 12 bits: 0x1, 0x1001', () => {
    const h = booted({ vcpus: 2 });
    const tokens = [G, G + 1].map((g) => {
      const t = faultIn(h, g, 'kernel', 1);
      h.vcpu(1).mode = 'run';
      return t;
    });
    expect(tokens).toEqual([0x1, 0x1001]);
  });

  it('property: token = ((id << 12) | vcpu_id) >>> 0 for any u32 id, 0 included', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 4095 }), (id, vcpuId) => {
        const s = h.backend.createVcpuState(vcpuId);
        s.id = id;
        v.state = s;
        expect(h.backend.setupAsyncPf(v, G).token).toBe(((id << 12) | vcpuId) >>> 0);
        expect(s.id).toBe((id + 1) >>> 0);
      }),
    );
  });
});

describe('not present: reason = 1, #PF with CR2 = token (seed 001 x86.c hunk)', () => {
  it('injects #PF, reason 1, CR2 = token; the guest reads and clears reason and sleeps on CR2', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    const token = faultIn(h, G, 'user');
    expect(v.injected).toMatchObject({ name: '#PF', token, signal: 'not-present' });
    expect(reasonAt(v.state)).toBe(1);
    expect(v.state.cr2).toBe(token);

    h.enter();

    expect(reasonAt(v.state)).toBe(0);
    expect(task.state).toBe('sleeping');
    expect(task.sleepToken).toBe(token);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // Seed 001: `get_cpl(vcpu) == 0` → KVM_REQ_APF_HALT (7c90705bf2a3: "only when guest is in user mode").
  it('a kernel-mode fault is not injected: the vCPU halts (kernel-mode), the gfn is outstanding', () => {
    const h = booted();
    faultIn(h, G, 'kernel');
    expect(h.vcpu().injected).toBeNull();
    expect(h.vcpu().mode).toBe('halt');
    expect(h.sim.metrics.haltReasons.toJSON()).toEqual({ 'kernel-mode': 1 });
    expect(h.vcpu().apf.gfns.has(G)).toBe(true);
  });

  // Seed 001 kvm_arch_async_page_not_present(): enabled and CPL 3, so no KVM_REQ_APF_HALT; apf_put_user()
  // fails (the enable's kvm_gfn_to_hva_cache_init() failed: no valid cache) → no #PF either. The vCPU
  // re-enters, its access faults again, and 2.6.38 try_async_pf() finds the gfn (kvm_find_async_pf_gfn())
  // → KVM_REQ_APF_HALT. (Today's x86 halts at once: arch/x86/kvm/x86.c, the function's else branch.)
  it('a user-mode fault whose reason write fails is neither injected nor halted; its re-fault halts', () => {
    const h = booted();
    expect(isGp(wrmsr(h, MSR_KVM_ASYNC_PF_EN, (64n << 20n) | ENABLED))).toBe(true);
    const v = h.vcpu();
    faultIn(h, G, 'user');
    expect(v.injected).toBeNull();
    expect(v.mode).toBe('run');
    expect(v.apf.gfns.has(G)).toBe(true);
    expect(h.sim.metrics.retryReasons.toJSON()).toEqual({ 'not-injected': 1 });
    expect(h.sim.metrics.haltReasons.toJSON()).toEqual({});

    h.fault(G);
    expect(v.mode).toBe('halt');
    expect(h.sim.metrics.repeatedFaults).toBe(1);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // fc5f06fac6fb: `send_user_only && get_cpl() == 0` → halt; a CONFIG_PREEMPT guest sets SEND_ALWAYS.
  it('with the sendAlways knob a kernel-mode fault (IF=1) is injected, and the task sleeps', () => {
    const h = booted({ knobs: { sendAlways: 1 } });
    const task = h.vcpu().current!;
    const token = faultIn(h, G, 'kernel');
    expect(h.vcpu().injected?.token).toBe(token);
    h.enter();
    expect(task.state).toBe('sleeping');
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // 631bc4878220 kvm_async_pf_task_wait(): `n.halted = idle || preempt_count() > 1` → HLT loop, not schedule().
  it('with the sendAlways knob a kernel-mode fault with preemption off halts the task in the guest until its page-ready', () => {
    const h = booted({ knobs: { sendAlways: 1 } });
    const v = h.vcpu();
    const task = v.current!;
    h.setCpu({ privilege: 'kernel', irqsMasked: false, preemptDisabled: true });
    h.fault(G);
    const token = v.injected!.token!;
    h.enter();
    expect(task.state).toBe('running');
    expect(v.current).toBe(task);
    expect(v.guestHalted).toBe(true);
    expect(h.sim.metrics.archEvents.toJSON()['halted in the guest (not sleepable)']).toBe(1);
    h.complete(G);
    h.enter(); // page-ready #PF: the wake unhashes the halted entry
    expect(v.sleepTable.has(token)).toBe(false);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // 2.6.38 can_do_async_pf(): interrupt_allowed() (IF=1) or the fault is synchronous.
  it('a fault with IF=0 is synchronous', () => {
    const h = booted();
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    h.fault(G);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'irqs-masked': 1 });
  });
});

describe('page ready: reason = 2, #PF with CR2 = token (seed 001, facts/x86.md §2 "2010 ready path")', () => {
  it('wakes the sleeper through the #PF handler; no ACK, no interrupt', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    const token = faultIn(h, G, 'user');
    h.enter();
    runNext(h);
    const before = { ...h.exits() };

    h.complete(G);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();

    expect(task.state).toBe('runnable');
    expect(reasonAt(v.state)).toBe(0);
    expect(v.state.cr2).toBe(token);
    expect(h.exits()).toEqual(before); // no ACK write, no EOI: the guest tells the host nothing
    expect(h.backend.caps.ackRequired).toBe(false);
    expect(readyAfterBoot(h)).toBe(1);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // kvm_arch_can_inject_async_page_present(): `!kvm_event_needs_reinjection() && interrupt_allowed()`.
  it('is held while IF=0 and goes out at the first entry with IF=1', () => {
    const h = booted();
    faultIn(h, G, 'user');
    h.enter();
    runNext(h);
    h.complete(G);
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    h.enter();
    expect(readyAfterBoot(h)).toBe(0);
    expect(h.backend.canDequeueAsyncPagePresent(h.vcpu())).toEqual({ ok: false, reason: 'irqs-masked' });

    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();

    expect(readyAfterBoot(h)).toBe(1);
  });

  it('one #PF per entry: a second completion waits while the first is pending (event needs reinjection)', () => {
    const h = booted();
    faultIn(h, G, 'user');
    h.enter();
    runNext(h);
    faultIn(h, G + 1, 'user');
    h.enter(); // both tasks sleep
    h.complete(G);
    h.complete(G + 1);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.vcpu().apf.readyRequested = false;
    h.sim.checkCompletion(h.vcpu());
    expect(readyAfterBoot(h)).toBe(1);
    expect(h.backend.canDequeueAsyncPagePresent(h.vcpu())).toEqual({ ok: false, reason: 'event-needs-reinjection' });
    h.enter(); // takes the first #PF; the refusal re-raised the request
    h.enter();
    expect(readyAfterBoot(h)).toBe(2);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // kvm_arch_can_inject_async_page_present(): `!(msr_val & ENABLED)` → true: dequeue without telling.
  it('with APF disabled the dequeue is allowed and nothing is injected', () => {
    const h = booted();
    wrmsr(h, MSR_KVM_ASYNC_PF_EN, 0n);
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    expect(h.backend.canDequeueAsyncPagePresent(h.vcpu())).toEqual({ ok: true });
  });

  // Seed 001: page-ready is not conditioned on not-present; facts/x86.md §6 "Dummy-entry leak".
  it('goes out even where not-present never did: the guest leaves a dummy nobody consumes', () => {
    const h = booted();
    const v = h.vcpu();
    const token = faultIn(h, G, 'kernel'); // halted, never announced
    expect(h.backend.caps.readyOnlyIfNotPresentInjected).toBe(false);

    h.complete(G); // kvm_vcpu_wake_up(): the blocked vCPU wakes to dequeue
    expect(v.mode).toBe('run');
    h.enter();

    expect(readyAfterBoot(h)).toBe(1);
    expect(v.state.cr2).toBe(token);
    expect(v.sleepTable.dummies).toBe(1);
    expect(v.state.readyUnannounced).toBe(1);
    expect(h.sim.metrics.archEvents.toJSON()).toEqual({ [READY_UNANNOUNCED]: 1 });
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

describe('completion: no kick by default (af585b921e5d async_pf_execute())', () => {
  it('a completion for a halted vCPU wakes it without a kick exit', () => {
    const h = booted();
    faultIn(h, G, 'kernel');
    h.complete(G);
    expect(h.vcpu().mode).toBe('run');
    expect(h.vcpu().apf.readyRequested).toBe(true);
    expect(h.exits()['EXTERNAL_INTERRUPT']).toBeUndefined();
  });
});

describe('hazards: one reason word and CR2 for both signals and real #PFs (facts/x86.md §6)', () => {
  // 344d9588a9df doc: the reason "may be overwritten by another APF" if read late.
  it('counts an async #PF injected over an unread reason', () => {
    const h = booted();
    h.vcpu().state.memory.write32(h.vcpu().state.areaGpa!, 2); // as if the guest had not yet read a page-ready
    faultIn(h, G, 'user');
    expect(h.sim.metrics.hazards.toJSON()).toEqual({ [PF2010_HAZARDS.reasonClobbered]: 1 });
  });

  it('does not count it when the previous reason was read', () => {
    const h = booted();
    faultIn(h, G, 'user');
    h.enter();
    runNext(h);
    faultIn(h, G + 1, 'user');
    expect(h.sim.metrics.hazards.toJSON()).toEqual({});
  });

  // a0d14b8909de / 6879298bd067: a #PF in kernel code before read_cr2() overwrites CR2.
  it('counts a page-ready #PF taken in kernel mode as a CR2 clobber window, not one in user mode', () => {
    const h = booted();
    faultIn(h, G, 'kernel');
    h.complete(G);
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.enter();
    expect(h.sim.metrics.hazards.toJSON()).toEqual({ [PF2010_HAZARDS.cr2Window]: 1 });
  });
});

describe('registration and findings', () => {
  it('is registered right after x86-halt, on x86', () => {
    const ids = VARIANTS.map((v) => v.id);
    expect(ids.indexOf('x86-pf')).toBe(ids.indexOf('x86-halt') + 1);
    expect(findVariant('x86-pf')).toBe(x86PfVariant);
    expect(x86PfVariant.arch).toBe('x86');
    expect(x86PfVariant.origin).toMatch(/seed 001/);
    expect(x86PfVariant.origin).toMatch(/7c90705bf2a3/);
  });

  it('cites the merge, Paolo Bonzini\'s list of the old API\'s flaws, the 5.8 replacement and the leak fix', () => {
    const b = x86PfVariant.createBackend({ costOverrides: x86PfVariant.defaultCosts, knobs: x86PfVariant.knobs, guestMemoryBytes: 64 << 20 });
    const all = b.findings.map((f) => `${f.text} ${f.cite}`).join('\n');
    expect(all).toMatch(/2\.6\.38/);
    expect(all).toMatch(/ce8984c3-fd68-ae38-4eb6-4b4d3571b142@redhat\.com/);
    expect(all).toMatch(/Replaced in 5\.8/);
    expect(all).toMatch(/2a18b7e7cd88/);
  });

  it('refuses a knob that is not 0 or 1', () => {
    expect(() => harness({ knobs: { sendAlways: 2 } })).toThrow(/arch\.x86\.sendAlways: 2 is not 0 or 1/);
  });
});
