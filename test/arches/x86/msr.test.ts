/**
 * The x86 PV async-PF MSRs (arches/x86/msr.ts): numbers, KVM's validation in KVM's order and
 * what an enable does. Facts: facts/x86.md §1 "Constants and ABI".
 */
import { describe, expect, it } from 'vitest';
import { BadInputError, x86Abi } from '../../../index.js';
import {
  ACK_EXIT,
  areaAt,
  AREA,
  AS_INT,
  AS_PF_VMEXIT,
  booted,
  enableOutsideGuestMemory,
  ENABLED,
  G,
  GP,
  GUEST_MEMORY_BYTES,
  harness,
  MSR_KVM_ASYNC_PF_ACK,
  MSR_KVM_ASYNC_PF_EN,
  MSR_KVM_ASYNC_PF_INT,
  rdmsr,
  runNextTask,
  SEND_ALWAYS,
  shortRun,
  wrmsr,
} from './helpers.js';

describe('x86 MSR numbers', () => {
  // facts/x86.md §1 "MSRs": MSR_KVM_ASYNC_PF_EN = 0x4b564d02; _INT = 0x4b564d06; _ACK = 0x4b564d07.
  it('uses the UAPI MSR numbers for EN, INT and ACK', () => {
    expect(x86Abi.MSR_KVM_ASYNC_PF_EN).toBe(0x4b564d02);
    expect(x86Abi.MSR_KVM_ASYNC_PF_INT).toBe(0x4b564d06);
    expect(x86Abi.MSR_KVM_ASYNC_PF_ACK).toBe(0x4b564d07);
  });

  // facts/x86.md §1 "MSRs": EN bit 0 ENABLED, 1 SEND_ALWAYS, 2 DELIVERY_AS_PF_VMEXIT, 3 DELIVERY_AS_INT.
  it('uses the UAPI EN flag bits', () => {
    expect(x86Abi.KVM_ASYNC_PF_ENABLED).toBe(1n);
    expect(x86Abi.KVM_ASYNC_PF_SEND_ALWAYS).toBe(2n);
    expect(x86Abi.KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT).toBe(4n);
    expect(x86Abi.KVM_ASYNC_PF_DELIVERY_AS_INT).toBe(8n);
  });

  // facts/x86.md §1 "MSRs": the guest's boot writes land in EN and INT at those literal numbers.
  it('answers the guest at exactly those indices', () => {
    const h = harness();

    const en = rdmsr(h, 0x4b564d02);
    const int = rdmsr(h, 0x4b564d06);
    const ack = rdmsr(h, 0x4b564d07);

    expect(en).toEqual({ kind: 'ok', regs: [h.vcpu().state.msrEnVal] });
    expect(h.vcpu().state.msrEnVal & (ENABLED | AS_INT)).toBe(ENABLED | AS_INT);
    expect(int).toEqual({ kind: 'ok', regs: [BigInt(x86Abi.LAB_DEFAULT_APF_VECTOR)] });
    expect(ack.kind).toBe('ok');
  });

  // facts/x86.md §1 "MSRs": "ACK: … Reads return 0 (X86)."
  it('reads ACK as 0', () => {
    const h = harness();

    const r = rdmsr(h, MSR_KVM_ASYNC_PF_ACK);

    expect(r).toEqual({ kind: 'ok', regs: [0n] });
  });
});

describe('MSR_KVM_ASYNC_PF_EN validation', () => {
  // facts/x86.md §1 "Current EN write path" step 1: reserved bits (5:4, mask 0x30) → #GP.
  it('refuses bit 4 (reserved) with #GP and keeps the old value', () => {
    const h = harness({ guestInit: false });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT | (1n << 4n));

    expect(r).toEqual(GP);
    expect(h.vcpu().state.msrEnVal).toBe(0n);
  });

  // facts/x86.md §1 "Current EN write path" step 1: reserved bits (5:4) → #GP.
  it('refuses bit 5 (reserved) with #GP', () => {
    const h = harness({ guestInit: false });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT | (1n << 5n));

    expect(r).toEqual(GP);
    expect(h.vcpu().state.msrEnVal).toBe(0n);
  });

  // facts/x86.md §1 reserved-bit table: the current mask is 0x30 (bits 4:5) only, so bits 1, 2, 3
  // each alone are accepted when their features are present.
  it.each([
    ['SEND_ALWAYS (bit 1)', SEND_ALWAYS],
    ['DELIVERY_AS_PF_VMEXIT (bit 2)', AS_PF_VMEXIT],
    ['DELIVERY_AS_INT (bit 3)', AS_INT],
  ])('accepts %s alone with the features present', (_name, bit) => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPfVmexit: 1, featureAsyncPfInt: 1 } });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | bit);

    expect(r.kind).toBe('ok');
    expect(h.vcpu().state.msrEnVal).toBe(AREA | bit);
  });

  // facts/x86.md §1 "Current EN write path" step 2: bit 3 without KVM_FEATURE_ASYNC_PF_INT → #GP,
  // when the VMM enforces PV CPUID (§2a, cpuid.h guest_pv_has()).
  it('refuses DELIVERY_AS_INT without KVM_FEATURE_ASYNC_PF_INT (enforced)', () => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPfInt: 0, enforcePvCpuid: 1 } });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT);

    expect(r).toEqual(GP);
    expect(h.vcpu().state.msrEnVal).toBe(0n);
  });

  // facts/x86.md §1 "Current EN write path" step 2: bit 2 without KVM_FEATURE_ASYNC_PF_VMEXIT → #GP,
  // when the VMM enforces PV CPUID (§2a, cpuid.h guest_pv_has()).
  it('refuses DELIVERY_AS_PF_VMEXIT without KVM_FEATURE_ASYNC_PF_VMEXIT (enforced)', () => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPfVmexit: 0, enforcePvCpuid: 1 } });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT | AS_PF_VMEXIT);

    expect(r).toEqual(GP);
    expect(h.vcpu().state.msrEnVal).toBe(0n);
  });

  // facts/x86.md §1 "Current EN write path" step 2 (contrast): with the VMEXIT feature, bit 2 is
  // accepted and recorded as delivery_as_pf_vmexit (step 7).
  it('accepts DELIVERY_AS_PF_VMEXIT with the feature and records it', () => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPfVmexit: 1 } });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT | AS_PF_VMEXIT);

    expect(r.kind).toBe('ok');
    expect(h.vcpu().state.deliveryAsPfVmexit).toBe(true);
  });

  // facts/x86.md §1 "Current EN write path" step 3: no in-kernel LAPIC → `return data ? 1 : 0`.
  it('without an in-kernel LAPIC refuses a non-zero EN and accepts 0', () => {
    const h = harness({ guestInit: false, knobs: { lapicInKernel: 0 } });

    const nonZero = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT);
    const zero = wrmsr(h, MSR_KVM_ASYNC_PF_EN, 0n);

    expect(nonZero).toEqual(GP);
    expect(zero.kind).toBe('ok');
  });
});

describe('feature gating of the MSRs', () => {
  // facts/x86.md §1 "Feature gating": EN needs KVM_FEATURE_ASYNC_PF, otherwise #GP on read and
  // write — with KVM_CAP_ENFORCE_PV_FEATURE_CPUID (§2a).
  it('EN without KVM_FEATURE_ASYNC_PF is #GP on write and on read (enforced)', () => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPf: 0, enforcePvCpuid: 1 } });

    const w = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT);
    const r = rdmsr(h, MSR_KVM_ASYNC_PF_EN);

    expect(w).toEqual(GP);
    expect(r).toEqual(GP);
  });

  // facts/x86.md §1 "Feature gating": INT and ACK need KVM_FEATURE_ASYNC_PF_INT; #GP on read and
  // write — with KVM_CAP_ENFORCE_PV_FEATURE_CPUID (§2a).
  it.each([
    ['INT', MSR_KVM_ASYNC_PF_INT, 0xecn],
    ['ACK', MSR_KVM_ASYNC_PF_ACK, 1n],
  ])('%s without KVM_FEATURE_ASYNC_PF_INT is #GP on write and on read (enforced)', (_name, index, value) => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPfInt: 0, enforcePvCpuid: 1 } });

    const w = wrmsr(h, index, value);
    const r = rdmsr(h, index);

    expect(w).toEqual(GP);
    expect(r).toEqual(GP);
  });

  // facts/x86.md §1 "Feature gating" (contrast): with the features, the same accesses succeed.
  it.each([
    ['EN', MSR_KVM_ASYNC_PF_EN],
    ['INT', MSR_KVM_ASYNC_PF_INT],
    ['ACK', MSR_KVM_ASYNC_PF_ACK],
  ])('%s is readable with the features present', (_name, index) => {
    const h = harness({ guestInit: false });

    expect(rdmsr(h, index).kind).toBe('ok');
  });
});

describe('MSR_KVM_ASYNC_PF_INT', () => {
  // facts/x86.md §1 "MSRs": INT bits 63:8 are reserved → #GP.
  it.each([0x100n, 0x1f3n, 1n << 63n])('refuses reserved bits 63:8 (0x%s) with #GP', (value) => {
    const h = harness({ guestInit: false });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_INT, value);

    expect(r).toEqual(GP);
    expect(h.vcpu().state.vec).toBe(0);
  });

  // facts/x86.md §1 "MSRs": the vector is bits 7:0 (KVM_ASYNC_PF_VEC_MASK); the host does not
  // validate the vector itself.
  it.each([0xf3, 0xec, 0x00, 0xff, 0x20])('takes vector 0x%s from bits 7:0 and reads it back', (vector) => {
    const h = harness({ guestInit: false });

    const w = wrmsr(h, MSR_KVM_ASYNC_PF_INT, BigInt(vector));
    const r = rdmsr(h, MSR_KVM_ASYNC_PF_INT);

    expect(w.kind).toBe('ok');
    expect(h.vcpu().state.vec).toBe(vector);
    expect(r).toEqual({ kind: 'ok', regs: [BigInt(vector)] });
  });

  // facts/x86.md §1 "MSRs": kvm_pv_enable_async_pf_int rejects a missing in-kernel LAPIC.
  it('refuses INT without an in-kernel LAPIC', () => {
    const h = harness({ guestInit: false, knobs: { lapicInKernel: 0 } });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_INT, 0xf3n);

    expect(r).toEqual(GP);
    expect(h.vcpu().state.vec).toBe(0);
  });
});

describe('the shared area address', () => {
  // facts/x86.md §1 "MSRs": bits 63:6 are the 64-byte-aligned GPA (gpa = data & ~0x3f).
  it('takes the area GPA as data & ~0x3f', () => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPfVmexit: 1 } });
    const data = 0x200040n | ENABLED | SEND_ALWAYS | AS_PF_VMEXIT | AS_INT; // low bits 0xf

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, data);

    expect(r.kind).toBe('ok');
    expect(h.vcpu().state.areaGpa).toBe(0x200040n);
  });

  // facts/x86.md §1 "Current EN write path" step 6: the gfn→hva cache for 8 bytes fails outside
  // guest memory → #GP (64 MiB of guest memory in the harness).
  it('refuses an area outside guest memory with #GP', () => {
    const h = harness({ guestInit: false });

    const outside = wrmsr(h, MSR_KVM_ASYNC_PF_EN, GUEST_MEMORY_BYTES | ENABLED | AS_INT);
    const farOutside = wrmsr(h, MSR_KVM_ASYNC_PF_EN, (1n << 40n) | ENABLED | AS_INT);

    expect(outside).toEqual(GP);
    expect(farOutside).toEqual(GP);
    expect(h.vcpu().state.areaGpa).toBeNull();
    expect(h.vcpu().apf.done).toHaveLength(0); // no wake-all queued for a refused enable
  });

  // facts/x86.md §1 "Current EN write path" step 6 (boundary): the last 64-byte slot is inside.
  it('accepts the last 64-byte slot of guest memory', () => {
    const h = harness({ guestInit: false });

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, (GUEST_MEMORY_BYTES - 64n) | ENABLED | AS_INT);

    expect(r.kind).toBe('ok');
    expect(h.vcpu().state.areaGpa).toBe(GUEST_MEMORY_BYTES - 64n);
  });
});

describe('what counts as enabled', () => {
  // facts/x86.md §1 "Current EN write path" step 5 and "kvm_pv_async_pf_enabled() means both of
  // bits 0 and 3 are set": ENABLED alone is treated as disabled, so a user-mode fault is not
  // delivered (kvm_can_deliver_async_pf requires PV APF enabled, §2) and the vCPU halts.
  it('EN = gpa | ENABLED alone does not deliver a user-mode fault: halt, reason apf-disabled', () => {
    const h = harness({ guestInit: false });
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_INT, 0xecn).kind).toBe('ok');
    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED).kind).toBe('ok');
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(G);

    const v = h.vcpu();
    expect(v.injected).toBeNull();
    expect(areaAt(v.state, AREA).flags).toBe(0);
    expect(v.mode).toBe('halt');
    expect(h.sim.metrics.haltReasons.toJSON()['apf-disabled']).toBe(1);
  });

  // facts/x86.md §1 "Current EN write path" step 5 (contrast): ENABLED | DELIVERY_AS_INT delivers.
  it('EN = gpa | ENABLED | DELIVERY_AS_INT delivers the same fault', () => {
    const h = harness({ guestInit: false });
    wrmsr(h, MSR_KVM_ASYNC_PF_INT, 0xecn);
    wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT);
    h.setCpu({ privilege: 'user', irqsMasked: false });

    h.fault(G);

    expect(h.vcpu().injected?.name).toBe('#PF');
    expect(h.vcpu().mode).toBe('run');
  });

  // facts/x86.md §1 "Current EN write path" step 5: writing a disabled value clears the completion
  // queue and resets the hash.
  it('a disabling EN write drops outstanding work', () => {
    const h = booted();
    h.fault(G);
    expect(h.vcpu().apf.queued).toBe(1);

    const r = wrmsr(h, MSR_KVM_ASYNC_PF_EN, 0n);

    expect(r.kind).toBe('ok');
    expect(h.vcpu().apf.queued).toBe(0);
    expect(h.vcpu().apf.gfns.size).toBe(0);
  });
});

describe('enable queues a wake-all', () => {
  // facts/x86.md §1 "Current EN write path" step 8 (kvm_async_pf_wakeup_all) and §1 "Broadcast
  // token ~0"; §3 IRQ handler: wake, clear the slot, ACK.
  it('after boot, entering delivers page-ready with token 0xffffffff and the guest ACKs', () => {
    const h = harness();
    const v = h.vcpu();
    expect(v.apf.done).toHaveLength(1);
    expect(v.apf.done[0].wakeupAll).toBe(true);
    h.setCpu({ irqsMasked: true });

    h.enter(); // interrupts masked: the host delivers, the guest does not take it yet

    expect(areaAt(v.state).token).toBe(0xffffffff);
    expect(v.irqLine(0xec)?.pending).toBe(true);
    expect(v.state.pagereadyPending).toBe(true);
    expect(h.sim.metrics.readyDelivered).toBe(1);
    expect(h.exits()[ACK_EXIT]).toBeUndefined();

    h.setCpu({ irqsMasked: false });
    h.enter();

    expect(areaAt(v.state).token).toBe(0);
    expect(v.state.pagereadyPending).toBe(false);
    expect(h.exits()[ACK_EXIT]).toBe(1);
    expect(v.apf.queued).toBe(0);
    expect(h.sim.monitor.violations).toEqual([]);
  });
});

describe('a reserved bit never breaks the lab', () => {
  // facts/x86.md §1 "Current EN write path" step 1 / "MSRs" INT 63:8: a refused access is an
  // architectural #GP in the guest, never an exception thrown by the simulator.
  it.each([
    ['EN bit 4', MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT | 0x10n],
    ['EN bit 5', MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT | 0x20n],
    ['INT bit 8', MSR_KVM_ASYNC_PF_INT, 0x1ecn],
    ['INT bit 63', MSR_KVM_ASYNC_PF_INT, 1n << 63n],
  ])('%s: #GP, no throw, and the running configuration is kept', (_name, index, value) => {
    const h = booted();
    const before = { en: h.vcpu().state.msrEnVal, vec: h.vcpu().state.vec };
    let r: ReturnType<typeof wrmsr> | undefined;

    expect(() => {
      r = wrmsr(h, index, value);
    }).not.toThrow();

    expect(r).toEqual(GP);
    expect(h.vcpu().state.msrEnVal).toBe(before.en);
    expect(h.vcpu().state.vec).toBe(before.vec);
    // APF still works afterwards.
    h.fault(G);
    expect(h.vcpu().injected?.name).toBe('#PF');
  });

  // facts/x86.md §1 "Feature gating" + §3 "Boot": a guest whose enable writes all get #GP
  // (no ASYNC_PF_INT) runs a whole scenario without the lab throwing; it just gets no APF.
  it('a whole run where every enable write is #GP completes', () => {
    const result = shortRun({ lapicInKernel: 0 }); // no in-kernel LAPIC: both INT and EN writes are #GP

    expect(result.metrics.apf.asyncStarted).toBe(0);
    expect(result.metrics.exits['MSR_WRITE(ASYNC_PF_EN)']).toBeGreaterThan(0);
    expect(result.run.stoppedEarly).toBeNull();
  });
});

describe('PV CPUID enforcement (KVM_CAP_ENFORCE_PV_FEATURE_CPUID)', () => {
  // facts/x86.md §2a: the host enforces PV feature bits only when the VMM enabled
  // KVM_CAP_ENFORCE_PV_FEATURE_CPUID (arch/x86/kvm/cpuid.h guest_pv_has(): true unless
  // pv_cpuid.enforce); QEMU leaves it off, so the knob defaults to 0.
  it('by default EN is accepted without KVM_FEATURE_ASYNC_PF', () => {
    const h = harness({ guestInit: false, knobs: { featureAsyncPf: 0 } });

    const w = wrmsr(h, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT);
    const r = rdmsr(h, MSR_KVM_ASYNC_PF_EN);

    expect(w.kind).toBe('ok');
    expect(r).toEqual({ kind: 'ok', regs: [AREA | ENABLED | AS_INT] });
  });

  // facts/x86.md §2a; arch/x86/kvm/x86.c kvm_set_msr_common() / kvm_pv_enable_async_pf(): every
  // feature test goes through guest_pv_has(), which passes while enforcement is off.
  it.each([
    ['INT without ASYNC_PF_INT', { featureAsyncPfInt: 0 }, MSR_KVM_ASYNC_PF_INT, 0xecn],
    ['ACK without ASYNC_PF_INT', { featureAsyncPfInt: 0 }, MSR_KVM_ASYNC_PF_ACK, 1n],
    ['EN bit 3 without ASYNC_PF_INT', { featureAsyncPfInt: 0 }, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT],
    ['EN bit 2 without ASYNC_PF_VMEXIT', { featureAsyncPfVmexit: 0 }, MSR_KVM_ASYNC_PF_EN, AREA | ENABLED | AS_INT | AS_PF_VMEXIT],
  ])('by default %s is accepted', (_name, knobs, index, value) => {
    const h = harness({ guestInit: false, knobs });

    expect(wrmsr(h, index, value).kind).toBe('ok');
    expect(rdmsr(h, index).kind).toBe('ok');
  });

  // facts/x86.md §2a: the guest (kvm_guest_cpu_init) tests KVM_FEATURE_ASYNC_PF_INT only, so a
  // VMM that clears KVM_FEATURE_ASYNC_PF without enforcement still gets APF. A whole run with
  // `featureAsyncPf: 0` starts asynchronous faults and halts none for lack of enablement.
  it('a run with featureAsyncPf: 0 and the default knob still goes async', () => {
    const result = shortRun({ featureAsyncPf: 0 });

    expect(result.metrics.apf.asyncStarted).toBeGreaterThan(0);
    expect(result.metrics.apf.haltReasons['apf-disabled']).toBeUndefined();
    expect(result.invariants.violations).toEqual([]);
  });

  // facts/x86.md §5 PVTEST (kvm_pv_test): with enforcement and the feature leaf cleared, EN, INT
  // and ACK are #GP on read and write.
  it('enforcePvCpuid: 1 refuses the MSRs whose feature bits are clear', () => {
    const h = harness({ guestInit: false, knobs: { enforcePvCpuid: 1, featureAsyncPf: 0, featureAsyncPfInt: 0 } });

    for (const index of [MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_ACK]) {
      expect(wrmsr(h, index, 0n)).toEqual(GP);
      expect(rdmsr(h, index)).toEqual(GP);
    }
  });

  // Bad input: the knob is a capability, on or off.
  it.each([2, -1, 0.5])('refuses enforcePvCpuid: %s', (value) => {
    expect(() => harness({ knobs: { enforcePvCpuid: value } })).toThrow(BadInputError);
  });
});

describe('a failed hva-cache init leaves APF enabled but unusable', () => {
  // facts/x86.md §2a; arch/x86/kvm/x86.c kvm_pv_enable_async_pf(): msr_en_val is stored before
  // kvm_gfn_to_hva_cache_init() runs, so the #GP'd write still reads back and still counts as
  // enabled (kvm_pv_async_pf_enabled()), while the cache is left invalid.
  it('rdmsr EN returns the refused value; a user fault is queued but not injected (halt)', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();

    const bad = enableOutsideGuestMemory(h);
    expect(rdmsr(h, MSR_KVM_ASYNC_PF_EN)).toEqual({ kind: 'ok', regs: [bad] });
    h.fault(G);

    // kvm_can_deliver_async_pf() passes (enabled, CPL 3), apf_put_user_notpresent() fails.
    expect(v.apf.gfns.has(G)).toBe(true);
    expect(v.injected).toBeNull();
    expect(v.mode).toBe('halt');
    expect(h.sim.metrics.haltReasons.toJSON()['apf-disabled']).toBeUndefined();
  });

  // facts/x86.md §2a; x86.c kvm_arch_can_dequeue_async_page_present(): enabled, so it needs
  // apf_pageready_slot_free(), whose read through the invalid cache fails → false: the
  // completion stays on the done list and the work stays queued.
  it('a completion is never dequeued', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    enableOutsideGuestMemory(h);
    h.fault(G);

    h.complete(G);
    v.mode = 'run';
    h.enter();

    expect(h.backend.canDequeueAsyncPagePresent(v).ok).toBe(false);
    expect(v.apf.done).toHaveLength(1);
    expect(v.apf.queued).toBe(1);
    expect(h.sim.metrics.readyDelivered).toBe(0);
  });

  // facts/x86.md §2a: "the queue fills to the cap; faults then go synchronous".
  it('the queue fills to the cap and the next fault is synchronous', () => {
    const h = harness({ guestInit: false });
    const v = h.vcpu();
    enableOutsideGuestMemory(h);
    for (let k = 0; k < 64; k++) {
      h.fault(G + k);
      h.complete(G + k);
      v.mode = 'run';
      h.enter();
    }
    runNextTask(h); // a fresh task, so its fault is counted as a first fault

    h.fault(G + 64);

    expect(v.apf.queued).toBe(64);
    expect(v.mode).toBe('sync');
    expect(h.sim.metrics.syncFallbacks.toJSON()['queue-full']).toBe(1);
  });

  // facts/x86.md §2a; x86.c kvm_pv_enable_async_pf(): a re-enable at a bad address after a good
  // one also stores the new value and leaves the (shared) cache invalid: no more injections.
  it('a bad re-enable after a good one breaks delivery too', () => {
    const h = booted();
    const v = h.vcpu();
    const bad = GUEST_MEMORY_BYTES | ENABLED | AS_INT;

    expect(wrmsr(h, MSR_KVM_ASYNC_PF_EN, bad)).toEqual(GP);
    h.fault(G);

    expect(v.state.msrEnVal).toBe(bad);
    expect(v.injected).toBeNull();
    expect(v.mode).toBe('halt');
  });
});
