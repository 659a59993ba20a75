/**
 * The Linux guest's half of x86 APF (arches/x86/guest.ts): per-CPU enable, the #PF path for
 * not-present, sysvec_kvm_asyncpf_interrupt() for page-ready, and the "INT before EN" rule.
 * Facts: facts/x86.md §1 "MSRs", §3 "Guest flow (GUEST, current)".
 */
import { describe, expect, it } from 'vitest';
import { BadInputError, Harness, x86Variant, type GuestCall, type Variant, type X86VcpuState } from '../../../index.js';
import {
  ACK_EXIT,
  areaAt,
  AREA,
  AS_INT,
  AS_PF_VMEXIT,
  booted,
  ENABLED,
  EOI_EXIT,
  exitCount,
  G,
  harness,
  MSR_KVM_ASYNC_PF_EN,
  MSR_KVM_ASYNC_PF_INT,
  SEND_ALWAYS,
  shortRun,
  tokenOf,
  wrmsr,
} from './helpers.js';

/** The x86 variant with every guest→host call recorded, in order, from the first boot write on. */
function recordingVariant(log: GuestCall[]): Variant {
  return {
    ...x86Variant,
    createBackend: (ctx) => {
      const b = x86Variant.createBackend(ctx);
      return {
        ...b,
        guestCall: (v: Parameters<typeof b.guestCall>[0], call: GuestCall) => {
          log.push(call);
          return b.guestCall(v, call);
        },
      };
    },
  };
}

describe('INT before EN', () => {
  // facts/x86.md §1 "MSRs": INT must be written before EN, "or interrupt #0 can get injected";
  // the host does not validate the vector. §1 "Current EN write path" step 8: enabling queues a
  // wake-all, which goes out on apf.vec — still 0 if INT was not written yet.
  it('EN before INT: the enable wake-all is delivered on vector 0', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT).kind).toBe('ok');
    h.setCpu({ privilege: 'user', irqsMasked: true });

    h.enter();
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_INT, 0xecn).kind).toBe('ok'); // too late

    expect(areaAt(v.state).token).toBe(0xffffffff);
    expect(v.irqLine(0)?.pending).toBe(true);
    expect(v.irqLine(0)?.signal).toBe('ready');
    expect(v.irqLine(0xec)).toBeUndefined();
  });

  // facts/x86.md §1 "MSRs" (contrast): INT first, then EN → the wake-all uses the programmed vector.
  it('INT before EN: the enable wake-all is delivered on the programmed vector', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    wrmsr(h, MSR_KVM_ASYNC_PF_INT, 0xecn);
    wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT);
    h.setCpu({ privilege: 'user', irqsMasked: true });

    h.enter();

    expect(v.irqLine(0xec)?.pending).toBe(true);
    expect(v.irqLine(0)).toBeUndefined();
  });
});

describe('per-CPU init (kvm_guest_cpu_init)', () => {
  // facts/x86.md §3 "Per-CPU init" steps 1–3: write INT = vector, then EN = phys(area) | ENABLED |
  // DELIVERY_AS_INT; SEND_ALWAYS is never set; then async_pf_enabled = true.
  it('writes INT then EN = area | ENABLED | DELIVERY_AS_INT, never SEND_ALWAYS', () => {
    const log: GuestCall[] = [];

    const h = new Harness<X86VcpuState>(recordingVariant(log), {});

    expect(log).toHaveLength(2);
    expect(log[0]).toEqual({ kind: 'wrmsr', index: MSR_KVM_ASYNC_PF_INT, value: 0xecn });
    expect(log[1].kind).toBe('wrmsr');
    const en = log[1] as unknown as { index: number; value: bigint };
    expect(en.index).toBe(MSR_KVM_ASYNC_PF_EN);
    expect(en.value & (ENABLED | AS_INT)).toBe(ENABLED | AS_INT);
    expect(en.value & SEND_ALWAYS).toBe(0n);
    expect(en.value & 0x30n).toBe(0n);
    expect(h.vcpu().state.guest.asyncPfEnabled).toBe(true);
    expect(h.vcpu().state.sendAlways).toBe(false);
  });

  // facts/x86.md §1 "Other constants": apf_reason is per-CPU and __aligned(64): each vCPU has its
  // own 64-byte aligned area.
  it('gives each vCPU its own 64-byte aligned area', () => {
    const h = harness({ vcpus: 3 });

    const areas = [0, 1, 2].map((i) => h.vcpu(i).state.areaGpa);

    for (const a of areas) {
      expect(a).not.toBeNull();
      expect(a! & 0x3fn).toBe(0n);
    }
    expect(new Set(areas).size).toBe(3);
  });

  // facts/x86.md §3 "Per-CPU init" step 1: "plus PF_VMEXIT if that feature is present"
  // (kvm_guest_cpu_init: `if (kvm_para_has_feature(KVM_FEATURE_ASYNC_PF_VMEXIT)) pa |=
  // KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT`).
  it('sets DELIVERY_AS_PF_VMEXIT in EN when KVM_FEATURE_ASYNC_PF_VMEXIT is present', () => {
    const h = harness({ knobs: { featureAsyncPfVmexit: 1 } });

    expect(h.vcpu().state.msrEnVal & AS_PF_VMEXIT).toBe(AS_PF_VMEXIT);
    expect(h.vcpu().state.deliveryAsPfVmexit).toBe(true);
  });

  // facts/x86.md §3 "Boot": kvm_guest_init / kvm_guest_cpu_init act only with
  // KVM_FEATURE_ASYNC_PF_INT; "a legacy-only host gets no APF from a guest newer than 5.8".
  it('without KVM_FEATURE_ASYNC_PF_INT the guest does not enable APF (and does not throw)', () => {
    const h = harness({ knobs: { featureAsyncPfInt: 0 } });

    expect(h.vcpu().state.guest.asyncPfEnabled).toBe(false);
    expect(h.vcpu().state.msrEnVal).toBe(0n);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G);
    expect(h.vcpu().injected).toBeNull();
  });

  // facts/x86.md §2a; arch/x86/kernel/kvm.c kvm_guest_cpu_init() tests KVM_FEATURE_ASYNC_PF_INT
  // (and kvmapf) only, never KVM_FEATURE_ASYNC_PF: without that bit the guest still writes INT
  // then EN, and with the host's default (no PV CPUID enforcement) APF works.
  it('enables APF on KVM_FEATURE_ASYNC_PF_INT alone (KVM_FEATURE_ASYNC_PF clear)', () => {
    const log: GuestCall[] = [];

    const h = new Harness<X86VcpuState>(recordingVariant(log), { knobs: { featureAsyncPf: 0 } });
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    h.fault(G);

    expect(log.map((c) => (c as unknown as { index: number }).index).slice(0, 2)).toEqual([MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_EN]);
    expect(h.vcpu().state.msrEnVal & (ENABLED | AS_INT)).toBe(ENABLED | AS_INT);
    expect(h.vcpu().injected?.name).toBe('#PF');
  });

  // facts/x86.md §2a; kvm.c kvm_guest_cpu_init() uses wrmsrl() (not the _safe form) and then sets
  // async_pf_enabled: with enforcement the EN write #GPs (an "unchecked MSR access" the kernel
  // skips), and the host, which has APF off, halts the vCPU on a user fault instead.
  it('with enforcePvCpuid: 1 and KVM_FEATURE_ASYNC_PF clear, EN is #GP and faults halt', () => {
    const log: GuestCall[] = [];

    const h = new Harness<X86VcpuState>(recordingVariant(log), { knobs: { featureAsyncPf: 0, enforcePvCpuid: 1 } });
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(G);

    expect(log.map((c) => (c as unknown as { index: number }).index)).toEqual([MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_EN]);
    expect(h.vcpu().state.msrEnVal).toBe(0n);
    expect(h.vcpu().state.guest.asyncPfEnabled).toBe(true);
    expect(h.vcpu().mode).toBe('halt');
    expect(h.sim.metrics.haltReasons.toJSON()['apf-disabled']).toBe(1);
  });

  // facts/x86.md §3 "Boot": the guest's per-CPU init is gated on KVM_FEATURE_ASYNC_PF_INT, so on
  // a host without it the guest writes neither MSR (no #GP exits at boot).
  it('without KVM_FEATURE_ASYNC_PF_INT the guest writes neither APF MSR', () => {
    const log: GuestCall[] = [];

    new Harness<X86VcpuState>(recordingVariant(log), { knobs: { featureAsyncPfInt: 0 } });

    expect(log).toEqual([]);
  });
});

describe('the #PF path', () => {
  // facts/x86.md §3 "#PF path" step 1: read `flags` and write 0; step 3: sleep on the token.
  it('reads and clears flags, then sleeps the current task on CR2', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G);
    expect(areaAt(v.state).flags).toBe(1);

    h.enter();

    expect(areaAt(v.state).flags).toBe(0);
    expect(task.state).toBe('sleeping');
    expect(task.sleepToken).toBe(v.state.lastPf!.cr2);
    expect(h.sim.metrics.hazards.toJSON()).toEqual({});
  });

  // facts/x86.md §3 "#PF path" step 3: `!user_mode` → panic("Host injected async #PF in kernel
  // mode"). With SEND_ALWAYS (which Linux never sets) the host does inject in kernel mode.
  it('a kernel-mode async #PF is a guest panic (recorded), and the task does not sleep', () => {
    const h = booted();
    const v = h.vcpu();
    wrmsr(h, MSR_KVM_ASYNC_PF_EN, v.state.msrEnVal | SEND_ALWAYS);
    h.enter();
    const task = v.current!;
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(G);

    h.enter();

    expect(h.sim.metrics.hazards.toJSON()['guest panic: async #PF in kernel mode']).toBe(1);
    expect(task.state).toBe('running');
    expect(h.sim.monitor.violations.map((x) => x.invariant)).toContain(4);
  });

  // facts/x86.md §3 "#PF path" step 2: IF=0 → panic("Host injected async #PF in interrupt
  // disabled region").
  it('an async #PF taken with IF=0 is a guest panic (recorded)', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G); // IF=1 at the fault
    h.setCpu({ irqsMasked: true }); // but masked when the guest takes it

    h.enter();

    expect(h.sim.metrics.hazards.toJSON()['guest panic: async #PF in interrupt disabled region']).toBe(1);
    expect(task.state).toBe('running');
  });
});

describe('the page-ready interrupt handler', () => {
  // facts/x86.md §3 "IRQ handler": apic_eoi(); irq_hv_callback_count++; read token, wake it,
  // token = 0, wrmsrq(ACK, 1).
  it('counts the callback, wakes the token, clears the slot and ACKs', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G);
    h.enter();
    const count = v.state.guest.irqHvCallbackCount;
    const acks = exitCount(h, ACK_EXIT);
    h.complete(G);

    h.enter();

    expect(v.state.guest.irqHvCallbackCount).toBe(count + 1);
    expect(task.state).toBe('runnable');
    expect(areaAt(v.state).token).toBe(0);
    expect(exitCount(h, ACK_EXIT)).toBe(acks + 1);
    expect(h.sim.monitor.violations).toEqual([]);
  });

  // facts/x86.md §2a: Linux guests use PV EOI (KVM_FEATURE_PV_EOI, arch/x86/kernel/kvm.c
  // kvm_guest_init() installs kvm_guest_apic_eoi_write(); arch/x86/kvm/lapic.c pv_eoi_*): the
  // page-ready EOI does not exit, with or without APICv. Only with both off is it an exit.
  it.each([
    ['PV EOI and APICv: no EOI exit', 1, 1, 0],
    ['PV EOI without APICv: no EOI exit', 1, 0, 0],
    ['APICv without PV EOI: no EOI exit', 0, 1, 0],
    ['neither: the EOI exits', 0, 0, 1],
  ])('%s', (_name, pvEoi, apicv, eoiExits) => {
    const h = harness({ knobs: { pvEoi, apicv } });
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.enter(); // the boot wake-all: one page-ready

    expect(exitCount(h, EOI_EXIT)).toBe(eoiExits);
    expect(exitCount(h, ACK_EXIT)).toBe(1);
  });

  // facts/x86.md §2a: APICv and PV EOI are properties of the VM (knobs under arch.x86), not
  // costs: a scenario that still sets costs.x86.apicv is refused with the known cost keys.
  it('costs.x86.apicv is not a cost key any more', () => {
    expect(() => shortRun({}, { apicv: 0 })).toThrow(BadInputError);
  });

  // facts/x86.md §2a: a whole run with APICv off (arch.x86.apicv: 0) and the default PV EOI has
  // no EOI exit at all.
  it('a run with arch.x86.apicv: 0 has no EOI exits', () => {
    const result = shortRun({ apicv: 0 });

    expect(result.metrics.apf.readyDelivered).toBeGreaterThan(0);
    expect(result.metrics.exits[EOI_EXIT]).toBeUndefined();
  });

  // facts/x86.md §3 "Sleep table" wake ~0: wake every waiter on that CPU.
  it('a wake-all token wakes every sleeper of the vCPU', () => {
    const h = booted();
    const v = h.vcpu();
    const a = v.current!;
    h.fault(G);
    h.enter();
    const b = v.runq.pickNext()!;
    b.state = 'running';
    v.current = b;
    h.fault(G + 1);
    h.enter();
    expect([a.state, b.state]).toEqual(['sleeping', 'sleeping']);

    // Re-enabling queues a wake-all (facts/x86.md §1 "Current EN write path" step 8); it goes
    // first on the empty done list.
    wrmsr(h, MSR_KVM_ASYNC_PF_EN, v.state.msrEnVal);
    h.enter();

    expect([a.state, b.state]).toEqual(['runnable', 'runnable']);
  });

  // PROTOCOLS.md §3 / facts/x86.md §3 "Sleep table": whatever the order at entry, the task that
  // took the not-present ends up woken by its page-ready (no lost wake-up).
  it('a completion before the guest took the #PF still wakes the task', () => {
    const h = booted();
    const v = h.vcpu();
    const task = v.current!;
    h.fault(G);
    const token = tokenOf(h, G);
    h.complete(G);

    h.enter();

    expect(task.state).toBe('runnable');
    expect(v.sleepTable.dummies).toBe(0);
    expect(token).toBe(0x1000);
    expect(h.sim.monitor.violations).toEqual([]);
  });
});
