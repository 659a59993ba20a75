/**
 * The KVM vendor-hyp async-PF call of Gavin Shan's v3/v4 (0x86000002, sub-function in x1):
 * facts/arm64.md §1 v2–v4, §3, PROTOCOLS.md §4.7; the host code of Gavin Shan's v4 09/15
 * (20210815005947.83699-10-gshan@redhat.com: kvm_arch_async_pf_hypercall(), kvm_arch_async_enable()),
 * 08/15 (20210815005947.83699-9-gshan@redhat.com: IRQ_ACK, the vendor FEATURES bit) and the guest's
 * kvm_async_pf_init() of 14/15 (20210815005947.83699-15-gshan@redhat.com).
 */
import { describe, expect, it } from 'vitest';
import { arm64Abi, BadInputError, findVariant } from '../../../index.js';
import { apf, apfEnable, AREA_GPA, blockAt, exitCount, harness, hvc, readyHarness } from './helpers.js';

const {
  ASYNC_PF_VERSION,
  ASYNC_PF_SLOTS,
  ASYNC_PF_SDEI,
  ASYNC_PF_IRQ,
  ASYNC_PF_ENABLE,
  ASYNC_PF_IRQ_ACK,
  SMCCC_RET_SUCCESS,
  SMCCC_RET_NOT_SUPPORTED,
  SMCCC_RET_NOT_REQUIRED,
  SMCCC_RET_INVALID_PARAMETER,
} = arm64Abi;

const GUEST_BYTES = 64n << 20n; // the harness machine has 64 MiB of guest memory

describe('function ID', () => {
  // facts/arm64.md §1 v2–v4: ARM_SMCCC_KVM_FUNC_ASYNC_PF = 2 → CALL_VAL(FAST, SMC_32, VENDOR_HYP, 2)
  it('is 0x86000002', () => {
    expect(arm64Abi.ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID).toBe(0x86000002);
  });

  // facts/arm64.md §3: bit31 fast, bit30 SMC64, bits[29:24] owner (VENDOR_HYP 6), bits[15:0] function
  it('decodes as a fast SMC32 call, owner VENDOR_HYP (6), function 2', () => {
    const id = arm64Abi.ARM_SMCCC_VENDOR_HYP_KVM_ASYNC_PF_FUNC_ID;

    const fast = (id >>> 31) & 1;
    const smc64 = (id >>> 30) & 1;
    const owner = (id >>> 24) & 0x3f;
    const fn = id & 0xffff;

    expect({ fast, smc64, owner, fn }).toEqual({ fast: 1, smc64: 0, owner: 6, fn: 2 });
  });

  // facts/arm64.md §1 RFCv2/v2 vs v3: function 1 (0x86000001) was the old number, taken by PTP
  it('is answered at 0x86000002 and not at the RFCv2/v2 number 0x86000001', () => {
    const h = harness({ guestInit: false });

    const atV4 = hvc(h, 0x86000002, BigInt(ASYNC_PF_VERSION));
    const atV2 = hvc(h, 0x86000001, BigInt(ASYNC_PF_VERSION));

    expect(atV4).toEqual([SMCCC_RET_SUCCESS, 0x010000n]);
    expect(atV2[0]).toBe(SMCCC_RET_NOT_SUPPORTED);
  });
});

describe('sub-functions (x1)', () => {
  // facts/arm64.md §1 v2–v4: VERSION 0, SLOTS 1, SDEI 2, IRQ 3, ENABLE 4, IRQ_ACK 5
  it('numbers the sub-functions as in v4 9/15', () => {
    expect([ASYNC_PF_VERSION, ASYNC_PF_SLOTS, ASYNC_PF_SDEI, ASYNC_PF_IRQ, ASYNC_PF_ENABLE, ASYNC_PF_IRQ_ACK]).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
  });

  // v4 09/15 kvm_arch_async_pf_hypercall(): VERSION → SUCCESS, a1 = 0x010000 (v1.0.0)
  it('VERSION answers SUCCESS and v1.0.0 (0x010000) in a1', () => {
    const h = harness({ guestInit: false });

    const r = apf(h, ASYNC_PF_VERSION);

    expect(r[0]).toBe(SMCCC_RET_SUCCESS);
    expect(r[1]).toBe(0x010000n);
  });

  // v4 09/15 kvm_arch_async_pf_hypercall(): SLOTS → ASYNC_PF_PER_VCPU = 64
  it('SLOTS answers 64', () => {
    const h = harness({ guestInit: false });

    const r = apf(h, ASYNC_PF_SLOTS);

    expect(r).toEqual([SMCCC_RET_SUCCESS, 64n]);
  });

  // facts/arm64.md §1 v2–v4: KVM_SDEI_ASYNC_PF_NUM 0x40400001, set by the VMM per vCPU
  it('SDEI answers the event number the VMM set (0x40400001 by default)', () => {
    const h = harness({ guestInit: false });

    const r = apf(h, ASYNC_PF_SDEI);

    expect(r).toEqual([SMCCC_RET_SUCCESS, 0x40400001n]);
  });

  // v4 09/15 kvm_arch_async_pf_hypercall(): SDEI → apf->sdei_event_num, the VMM-set event number (0 if unset)
  it('SDEI answers 0 when the VMM did not set an event', () => {
    const h = harness({ guestInit: false, knobs: { sdeiEvent: 0 } });

    const r = apf(h, ASYNC_PF_SDEI);

    expect(r).toEqual([SMCCC_RET_SUCCESS, 0n]);
  });

  // facts/arm64.md §5: the VMM sets the PPI per vCPU, the guest reads it with ASYNC_PF_IRQ
  it('IRQ answers the PPI INTID the VMM set', () => {
    const h = harness({ guestInit: false, knobs: { ppi: 22 } });

    const r = apf(h, ASYNC_PF_IRQ);

    expect(r).toEqual([SMCCC_RET_SUCCESS, 22n]);
  });

  // v4 09/15 kvm_arch_async_pf_hypercall(): any other sub-function → NOT_SUPPORTED (-1)
  it.each([6, 7, 0x40, 0xffff])('an unknown sub-function %i answers NOT_SUPPORTED (-1)', (sub) => {
    const h = harness({ guestInit: false });

    const r = apf(h, sub);

    expect(r[0]).toBe(-1n);
  });

  // v4 09/15 kvm_arch_async_pf_hypercall(): without apf allocated, every sub-function returns NOT_SUPPORTED
  it.each([
    ['VERSION', ASYNC_PF_VERSION],
    ['SLOTS', ASYNC_PF_SLOTS],
    ['SDEI', ASYNC_PF_SDEI],
    ['IRQ', ASYNC_PF_IRQ],
    ['ENABLE', ASYNC_PF_ENABLE],
    ['IRQ_ACK', ASYNC_PF_IRQ_ACK],
  ])('without the capability, %s answers NOT_SUPPORTED', (_name, sub) => {
    const h = harness({ guestInit: false, knobs: { apfCapability: 0 } });

    const r = apf(h, sub, AREA_GPA | 1n, 0n);

    expect(r[0]).toBe(SMCCC_RET_NOT_SUPPORTED);
  });

  // v4 08/15 kvm_hvc_call_handler() (vendor FEATURES sets BIT(2) only when apf is allocated) and the guest's
  // init order (v4 14/15 kvm_async_pf_init())
  it('without the capability the guest stops at FEATURES and never enables', () => {
    const h = harness({ knobs: { apfCapability: 0 } });

    expect(h.vcpu().state.enabled).toBe(false);
    expect(exitCount(h, 'HVC64(ASYNC_PF_VERSION)')).toBe(0);
  });
});

describe('ENABLE', () => {
  // v4 09/15 kvm_arch_async_enable() check 4: SDEI number == 0 (VMM has not set it) → INVALID_PARAMETER (-3)
  it('answers INVALID_PARAMETER (-3) before the VMM set the SDEI event', () => {
    const h = harness({ guestInit: false, knobs: { sdeiEvent: 0 } });

    const r = apfEnable(h, AREA_GPA | 1n);

    expect(r).toBe(-3n);
    expect(h.vcpu().state.enabled).toBe(false);
  });

  // v4 09/15 kvm_arch_async_enable() check 4: IRQ == 0 → INVALID_PARAMETER; facts/arm64.md §1 v1: "if the SDEI or IRQ number has not been set"
  it('answers INVALID_PARAMETER (-3) before the VMM set the PPI', () => {
    const h = harness({ guestInit: false, knobs: { ppi: 0 } });

    const r = apfEnable(h, AREA_GPA | 1n);

    expect(r).toBe(SMCCC_RET_INVALID_PARAMETER);
    expect(h.vcpu().state.enabled).toBe(false);
  });

  // v4 09/15 kvm_arch_async_enable() check 1: no in-kernel irqchip → NOT_SUPPORTED
  it('answers NOT_SUPPORTED without an in-kernel irqchip', () => {
    const h = harness({ guestInit: false, knobs: { irqchipInKernel: 0 } });

    const r = apfEnable(h, AREA_GPA | 1n);

    expect(r).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(h.vcpu().state.enabled).toBe(false);
  });

  // v4 09/15 kvm_arch_async_enable() checks 1 then 4: the irqchip check comes first
  it('checks the irqchip before the VMM numbers', () => {
    const h = harness({ guestInit: false, knobs: { irqchipInKernel: 0, sdeiEvent: 0 } });

    const r = apfEnable(h, AREA_GPA | 1n);

    expect(r).toBe(SMCCC_RET_NOT_SUPPORTED);
  });

  it('succeeds on a booted-off guest with a GPA inside guest memory', () => {
    const h = harness({ guestInit: false });

    const r = apfEnable(h, AREA_GPA | 1n);

    expect(r).toBe(SMCCC_RET_SUCCESS);
    expect(h.vcpu().state.enabled).toBe(true);
  });

  // v4 09/15 kvm_arch_async_enable() check 2: an enable while already enabled also lands here → NOT_REQUIRED (-2)
  it('answers NOT_REQUIRED (-2) when already enabled', () => {
    const h = harness();
    expect(h.vcpu().state.enabled).toBe(true); // the boot sequence enabled it

    const r = apfEnable(h, AREA_GPA | 1n);

    expect(r).toBe(-2n);
    expect(r).toBe(SMCCC_RET_NOT_REQUIRED);
  });

  // v4 09/15 kvm_arch_async_enable() check 2: disabling while disabled is NOT_REQUIRED as well
  it('answers NOT_REQUIRED when disabling while disabled', () => {
    const h = harness({ guestInit: false });

    const r = apfEnable(h, 0n);

    expect(r).toBe(SMCCC_RET_NOT_REQUIRED);
  });

  // v4 09/15 kvm_arch_async_enable() check 6: kvm_gfn_to_hva_cache_init fails (bad GPA) → NOT_SUPPORTED
  it('answers NOT_SUPPORTED for a GPA at the end of the 64 MiB guest memory', () => {
    const h = harness({ guestInit: false });

    const r = apfEnable(h, GUEST_BYTES | 1n);

    expect(r).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(h.vcpu().state.enabled).toBe(false);
  });

  it('accepts the last 64-byte block inside guest memory', () => {
    const h = harness({ guestInit: false });

    const r = apfEnable(h, (GUEST_BYTES - 64n) | 1n);

    expect(r).toBe(SMCCC_RET_SUCCESS);
  });

  // v4 09/15 kvm_arch_async_pf_hypercall() ENABLE: data = (x3 << 32) | x2 — a GPA above 4 GiB, carried by the high word, is outside
  it('takes the high 32 bits of the value from x3: a GPA above 4 GiB is NOT_SUPPORTED', () => {
    const h = harness({ guestInit: false });

    const r = apf(h, ASYNC_PF_ENABLE, AREA_GPA | 1n, 1n);

    expect(r[0]).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(h.vcpu().state.enabled).toBe(false);
  });

  // v4 09/15 kvm_arch_async_enable() step 7 (kvm_async_pf_wakeup_all); PROTOCOLS.md §2 "Enable by the guest queues a wake-all"
  it('queues a wake-all that reaches the guest as page-ready with token 0xffffffff', () => {
    const h = harness({ guestInit: false });
    h.setCpu({ privilege: 'user', irqsMasked: true });

    apfEnable(h, AREA_GPA | 1n);
    const queued = h.vcpu().apf.done.map((w) => ({ wakeupAll: w.wakeupAll, token: w.token }));
    h.enter();

    expect(queued).toEqual([{ wakeupAll: true, token: 0xffffffff }]);
    const s = h.vcpu().state;
    expect(blockAt(s)).toEqual({ reason: arm64Abi.KVM_PV_REASON_PAGE_READY, token: 0xffffffff });
    expect(s.pagereadyPending).toBe(true);
    expect(h.sim.metrics.wakeupAll).toBe(1);
  });

  // v4 09/15 kvm_arch_async_enable() check 3: disable → kvm_clear_async_pf_completion_queue, SUCCESS
  it('disable clears the completion queue', () => {
    const h = harness({ guestInit: false });
    apfEnable(h, AREA_GPA | 1n);

    const r = apfEnable(h, 0n);

    expect(r).toBe(SMCCC_RET_SUCCESS);
    expect(h.vcpu().state.enabled).toBe(false);
    expect(h.vcpu().apf.done).toHaveLength(0);
  });
});

describe('IRQ_ACK', () => {
  // v4 08/15 kvm_arch_async_pf_hypercall(): IRQ_ACK without a pending page-ready is a no-op that returns SUCCESS
  it('answers SUCCESS and does nothing when no page-ready is pending', () => {
    const h = readyHarness();
    const before = h.sim.metrics.readyDelivered;

    const r = apf(h, ASYNC_PF_IRQ_ACK);

    expect(r[0]).toBe(SMCCC_RET_SUCCESS);
    expect(h.sim.metrics.readyDelivered).toBe(before);
  });
});

describe('every call is an exit', () => {
  // PROTOCOLS.md §4.7 "Each call is an exit"; facts/arm64.md §6 (HVC from AArch64: EC HVC64)
  it.each([
    ['VERSION', ASYNC_PF_VERSION],
    ['SLOTS', ASYNC_PF_SLOTS],
    ['SDEI', ASYNC_PF_SDEI],
    ['IRQ', ASYNC_PF_IRQ],
    ['IRQ_ACK', ASYNC_PF_IRQ_ACK],
  ])('%s is counted once as an HVC64(ASYNC_PF_…) exit', (name, sub) => {
    const h = harness({ guestInit: false });
    const key = `HVC64(ASYNC_PF_${name})`;
    const before = exitCount(h, key);

    apf(h, sub);

    expect(exitCount(h, key) - before).toBe(1);
  });

  it('ENABLE is counted once as HVC64(ASYNC_PF_ENABLE)', () => {
    const h = harness({ guestInit: false });

    apfEnable(h, AREA_GPA | 1n);

    expect(exitCount(h, 'HVC64(ASYNC_PF_ENABLE)')).toBe(1);
  });

  // PROTOCOLS.md §4.7: the boot sequence of kvm_async_pf_init() (v4 14/15), one exit each
  it('the boot sequence costs one exit per call', () => {
    const h = harness();

    expect(h.exits()).toMatchObject({
      'HVC64(KVM_FEATURES)': 1,
      'HVC64(ASYNC_PF_VERSION)': 1,
      'HVC64(ASYNC_PF_SLOTS)': 1,
      'HVC64(ASYNC_PF_SDEI)': 1,
      'HVC64(ASYNC_PF_IRQ)': 1,
      'HVC64(SDEI_EVENT_REGISTER)': 1,
      'HVC64(SDEI_EVENT_ENABLE)': 1,
      'HVC64(SDEI_PE_UNMASK)': 1,
      'HVC64(ASYNC_PF_ENABLE)': 1,
    });
  });
});

describe('PPI INTID validation', () => {
  // facts/arm64.md §5: PPIs are INTIDs 16–31 (SGI 0–15, SPI from 32)
  it.each([15, 32, 1, 255])('rejects knob ppi %i with BadInputError', (ppi) => {
    expect(() => harness({ knobs: { ppi } })).toThrow(BadInputError);
  });

  // arch/arm64/kvm/arch_timer.c default_ppi; vgic.c vgic_validate_injection() refuses a non-owner.
  it.each([26, 27, 28, 30])('rejects knob ppi %i: a timer owns it', (ppi) => {
    expect(() => harness({ knobs: { ppi } })).toThrow(/is a timer's/);
  });

  it('rejects a non-integer PPI', () => {
    expect(() => harness({ knobs: { ppi: 20.5 } })).toThrow(BadInputError);
  });

  // gwshan/linux arch/arm64/kvm/async_pf.c kvm_arch_async_pf_vcpu_ioctl(): SET_IRQ performs no validation; 0 = unset,
  // then ENABLE is INVALID_PARAMETER (v4 09/15 kvm_arch_async_enable())
  it('accepts knob ppi 0 as "VMM did not set it"', () => {
    expect(() => harness({ knobs: { ppi: 0 } })).not.toThrow();
  });

  it('arm64-irq, whose PPI is its only way to the guest, refuses ppi 0 saying so (it said "0 is not a PPI INTID" where the knob check says "0 = unset")', () => {
    const irq = findVariant('arm64-irq');
    const build = () => irq.createBackend({ costOverrides: irq.defaultCosts, knobs: { ...irq.knobs, ppi: 0 }, guestMemoryBytes: 64 * 1024 * 1024 });
    expect(build).toThrow(BadInputError);
    expect(build).toThrow('scenario arch.arm64.ppi: 0 (unset) leaves the not-present mechanism ppi-taken-at-once no interrupt to raise: set a PPI INTID, 16–31 (facts/arm64.md §5)');
  });

  it.each([16, 31])('accepts the PPI range bound %i', (ppi) => {
    const h = harness({ knobs: { ppi } });

    expect(apf(h, ASYNC_PF_IRQ)[1]).toBe(BigInt(ppi));
    expect(h.vcpu().state.enabled).toBe(true);
  });
});
