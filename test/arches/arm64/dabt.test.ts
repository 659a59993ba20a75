/**
 * Gavin Shan's data-abort designs, rule by rule: `arm64-dabt` (RFCv2; host 7/9
 * 20200508032919.52147-8-gshan@redhat.com, guest 9/9 = seed 003) and `arm64-impdef` (RFCv1; host 6/7
 * 20200410085820.758686-7-gshan@redhat.com and guest 7/7 20200410085820.758686-8-gshan@redhat.com).
 * PROTOCOLS.md §4.5–§4.6, facts/arm64.md §1 RFCv1/RFCv2, §6.
 */
import { describe, expect, it } from 'vitest';
import { ARM64_MAX_HANDLER_OFFSET, arm64CodeLayout } from '../../../arches/arm64/code-layout.js';
import * as dabt from '../../../arches/arm64/dabt/constants.js';
import { RQ_LOCK_HAZARD } from '../../../arches/arm64/dabt/mechanisms.js';
import type { DabtVcpuState } from '../../../arches/arm64/dabt/state.js';
import { ARM64_DABT_SPEC, arm64DabtVariant, ARM64_IMPDEF_SPEC, arm64ImpdefVariant } from '../../../arches/arm64/dabt/variant.js';
import { codeFrame, type CodePhase, type PcRegion } from '../../../core/guest/code-layout.js';
import type { Task } from '../../../core/guest/task.js';
import { stepFrames } from '../../../core/sim/guest-entry.js';
import {
  arm64Abi,
  BadInputError,
  composeSpec,
  findVariant,
  Harness,
  HARNESS_FIRST_MISSING_GFN,
  loadScenario,
  runVariant,
  type GuestCallResult,
  type HarnessOptions,
  type Scenario,
  type Variant,
  type VariantSpec,
  type AsyncPfWork,
  type Vcpu,
} from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';
import { blockAt } from './helpers.js';

type H = Harness<DabtVcpuState>;

const { SMCCC_RET_SUCCESS, SMCCC_RET_NOT_REQUIRED, SMCCC_RET_NOT_SUPPORTED, KVM_ASYNC_PF_ENABLED, KVM_ASYNC_PF_SEND_ALWAYS, WAKE_ALL_TOKEN } = arm64Abi;
const APF_FN = dabt.ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID;
const GFN_A = HARNESS_FIRST_MISSING_GFN;
const GFN_B = HARNESS_FIRST_MISSING_GFN + 1;
const GFN_C = HARNESS_FIRST_MISSING_GFN + 2;
/** A control block inside the harness's 64 MiB guest, and one just past its end. */
const AREA = 0x200000n;
const PAST_MEMORY = 64n << 20n;
/** RFCv2's guest: the largest handler offset + 4096 (seed 003 kvm_async_pf_enable()). */
const RFCV2_RANGE = 0x164c + 4096;

const BOTH = [
  // FSC: kvm_inject_dabt() → inject_abt64() writes ESR_ELx_FSC_EXTABT (0x10); RFCv1 KVM_ASYNC_PF_DFSC 0x34.
  ['arm64-dabt (RFCv2)', arm64DabtVariant, 0x10],
  ['arm64-impdef (RFCv1)', arm64ImpdefVariant, 0x34],
] as const;

function harness(variant: Variant, options: HarnessOptions = {}): H {
  return new Harness<DabtVcpuState>(variant, options);
}

/** Booted, with the wake-all the enable queued delivered and consumed: reason 0, nothing pending. */
function booted(variant: Variant, options: HarnessOptions = {}, vcpu = 0): H {
  const h = harness(variant, options);
  for (let i = 0; i < (options.vcpus ?? 1); i++) {
    h.setCpu({ privilege: 'user', irqsMasked: false }, i);
    h.enter(i);
  }
  expect(blockAt(h.vcpu(vcpu).state).reason).toBe(0);
  expect(h.vcpu(vcpu).apf.done).toHaveLength(0);
  return h;
}

function x0(r: GuestCallResult): bigint {
  if (r.kind !== 'ok') throw new Error(`expected an SMCCC answer, got a ${r.vector} fault`);
  return r.regs[0];
}

/** RFCv2's one APF call: the 64-bit value split as the guest does, (u32)val in w1, (u32)(val >> 32) in w2. */
function apf(h: H, val: bigint): bigint {
  return x0(h.call({ kind: 'hvc', fn: APF_FN, args: [val & 0xffffffffn, val >> 32n] }));
}

const tokenOf = (h: H, gfn: number, i = 0): number => h.vcpu(i).apf.gfns.get(gfn)!.token;
const esrEc = (esr: number): number => esr >>> 26;
const esrFsc = (esr: number): number => esr & 0x3f;

/** A one-instruction stretch of exception code at `pc` (an offset from VBAR_EL1), to put the guest's PC there. */
function codeAt(pc: number, region: PcRegion = 'entry', rqLocked = false): CodePhase {
  return { name: `test code at 0x${pc.toString(16)}`, region, pc, bytes: 4, ns: 1, touches: null, nonReentrant: !rqLocked, irqsMasked: true, rqLocked };
}
function pcAt(h: H, phase: CodePhase, i = 0): void {
  h.vcpu(i).frames.push(codeFrame([phase], null));
}

/** The current task faults on `gfn` in user mode and takes the not-present: it sleeps, the next task runs. */
function faultAndSleep(h: H, gfn: number, i = 0): number {
  const v = h.vcpu(i);
  h.setCpu({ privilege: 'user', irqsMasked: false }, i);
  const task = v.current!;
  h.fault(gfn, i);
  const token = tokenOf(h, gfn, i);
  h.enter(i);
  expect(task.state).toBe('sleeping');
  if (!v.current) {
    v.current = v.runq.pickNext() ?? null;
    if (v.current) v.current.state = 'running';
  }
  return token;
}

/** SEND_ALWAYS: a kernel-mode fault on GFN_A halts the task in the guest; then the page arrives. */
function haltedInKernel(variant: Variant): { h: H; v: Vcpu<DabtVcpuState>; token: number } {
  const h = booted(variant, { knobs: { rfcSendAlways: 1 } });
  const v = h.vcpu();
  h.setCpu({ privilege: 'kernel', irqsMasked: false });
  h.fault(GFN_A);
  const token = tokenOf(h, GFN_A);
  h.enter();
  expect(v.guestHalted).toBe(true);
  h.complete(GFN_A);
  return { h, v, token };
}

/** A sleeper on GFN_A, and its page-ready delivered while the PC is in __schedule() (run-queue lock held). */
function readyUnderRqLock(variant: Variant): { h: H; sleeper: Task } {
  const h = booted(variant);
  faultAndSleep(h, GFN_A);
  const sleeper = h.sim.tasks.find((t) => t.state === 'sleeping')!;
  h.setCpu({ privilege: 'kernel', irqsMasked: true });
  pcAt(h, arm64CodeLayout(2000).contextSwitch); // __schedule(), rq lock held
  h.complete(GFN_A);
  h.enter();
  return { h, sleeper };
}

const hazards = (h: H): Readonly<Record<string, number>> => h.sim.metrics.hazards.toJSON();
const archEvents = (h: H): Readonly<Record<string, number>> => h.sim.metrics.archEvents.toJSON();

// ------------------------------------------------------------------------------------------------

describe('RFCv2 SMCCC ABI (7/9 kvm_async_pf_hypercall(), hypercalls.c)', () => {
  it('FEATURES advertises bit ARM_SMCCC_KVM_FUNC_APF (1); without the capability the bit is clear and the call is NOT_SUPPORTED', () => {
    const on = harness(arm64DabtVariant, { guestInit: false });
    const bits = x0(on.call({ kind: 'hvc', fn: arm64Abi.ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, args: [] }));
    expect(APF_FN).toBe(0x86000001);
    expect((bits >> 1n) & 1n).toBe(1n);
    expect(bits & 1n).toBe(1n); // BIT(ARM_SMCCC_KVM_FUNC_FEATURES)

    const off = harness(arm64DabtVariant, { guestInit: false, knobs: { apfCapability: 0 } });
    const offBits = x0(off.call({ kind: 'hvc', fn: arm64Abi.ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, args: [] }));
    expect((offBits >> 1n) & 1n).toBe(0n);
    expect(apf(off, dabt.APF_OP_ENABLE | AREA | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(off.vcpu().state.enabled).toBe(false);
  });

  it('BIT(62) sets no_fault_inst_range to max(old, new), default 0x800 (kvm_arch_vcpu_create())', () => {
    const h = harness(arm64DabtVariant, { guestInit: false });
    const s = h.vcpu().state;
    expect(s.noFaultInstRange).toBe(0x800n);
    expect(apf(h, dabt.APF_OP_RANGE | 0x400n)).toBe(SMCCC_RET_SUCCESS);
    expect(s.noFaultInstRange).toBe(0x800n);
    expect(apf(h, dabt.APF_OP_RANGE | 0x3000n)).toBe(SMCCC_RET_SUCCESS);
    expect(s.noFaultInstRange).toBe(0x3000n);
    expect(apf(h, dabt.APF_OP_RANGE | 0x1000n)).toBe(SMCCC_RET_SUCCESS);
    expect(s.noFaultInstRange).toBe(0x3000n);
  });

  it('data = (arg2 << 32) | arg1: a range with bit 32 set arrives whole', () => {
    const h = harness(arm64DabtVariant, { guestInit: false });
    expect(apf(h, dabt.APF_OP_RANGE | 0x1_0000_0000n)).toBe(SMCCC_RET_SUCCESS);
    expect(h.vcpu().state.noFaultInstRange).toBe(0x1_0000_0000n);
  });

  it('BIT(62) only while disabled: NOT_SUPPORTED once enabled, range unchanged', () => {
    const h = harness(arm64DabtVariant, { guestInit: false });
    expect(apf(h, dabt.APF_OP_ENABLE | AREA | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_SUCCESS);
    expect(apf(h, dabt.APF_OP_RANGE | 0x4000n)).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(h.vcpu().state.noFaultInstRange).toBe(0x800n);
  });

  it('BIT(63): SUCCESS on a change, NOT_REQUIRED when the state does not change (kvm_async_pf_update_enable_reg())', () => {
    const h = harness(arm64DabtVariant, { guestInit: false });
    const s = h.vcpu().state;
    expect(apf(h, dabt.APF_OP_ENABLE)).toBe(SMCCC_RET_NOT_REQUIRED); // disable while disabled
    expect(apf(h, dabt.APF_OP_ENABLE | AREA | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_SUCCESS);
    expect(s.enabled).toBe(true);
    expect(apf(h, dabt.APF_OP_ENABLE | AREA | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_NOT_REQUIRED);
    expect(apf(h, dabt.APF_OP_ENABLE)).toBe(SMCCC_RET_SUCCESS);
    expect(s.enabled).toBe(false);
  });

  it('BIT(63) with a control block outside guest memory is NOT_SUPPORTED (kvm_gfn_to_hva_cache_init() fails)', () => {
    const h = harness(arm64DabtVariant, { guestInit: false });
    expect(apf(h, dabt.APF_OP_ENABLE | PAST_MEMORY | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(h.vcpu().state.enabled).toBe(false);
    expect(apf(h, dabt.APF_OP_ENABLE | (PAST_MEMORY - 64n) | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_SUCCESS);
  });

  it.each([
    ['no operation bit', 0n],
    ['BIT(61)', 1n << 61n],
    ['BIT(63) | BIT(62)', dabt.APF_OP_ENABLE | dabt.APF_OP_RANGE],
  ])('an unknown operation (%s) is NOT_SUPPORTED ("Unrecognized function")', (_, op) => {
    const h = harness(arm64DabtVariant, { guestInit: false });
    expect(apf(h, op | 0x100n | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(h.vcpu().state.enabled).toBe(false);
    expect(h.vcpu().state.noFaultInstRange).toBe(0x800n);
  });

  it('enabling queues a wake-all (~0 in FAR, reason 2); disabling clears the completion queue', () => {
    const h = harness(arm64DabtVariant, { guestInit: false });
    const v = h.vcpu();
    // The guest's own apf_data: its do_async_pf() reads and clears only that block.
    expect(apf(h, dabt.APF_OP_ENABLE | v.state.guest.apfDataGpa | KVM_ASYNC_PF_ENABLED)).toBe(SMCCC_RET_SUCCESS);
    expect(v.apf.done.map((w) => w.wakeupAll)).toEqual([true]);
    v.state.guest.enabled = true; // the guest sets apf_data.enabled before its call
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    expect(v.state.regs.far >>> 0).toBe(WAKE_ALL_TOKEN);
    expect(h.sim.metrics.readyDelivered).toBe(1);

    h.fault(GFN_A);
    expect(v.apf.queued).toBe(1);
    expect(apf(h, dabt.APF_OP_ENABLE)).toBe(SMCCC_RET_SUCCESS);
    expect(v.apf.queued).toBe(0);
    h.complete(GFN_A);
    expect(v.apf.done).toHaveLength(0);
  });

  it('the guest enable sequence (seed 003 kvm_async_pf_enable()): FEATURES, BIT(62) | (0x164c + 4096), BIT(63) | PA | ENABLED', () => {
    const h = harness(arm64DabtVariant);
    const s = h.vcpu().state;
    expect(ARM64_MAX_HANDLER_OFFSET).toBe(0x164c);
    expect(h.exits()).toEqual({ 'HVC64(KVM_FEATURES)': 1, 'HVC64(KVM_APF)': 2 });
    expect(s.guest.range).toBe(BigInt(RFCV2_RANGE));
    expect(s.noFaultInstRange).toBe(BigInt(RFCV2_RANGE));
    expect(s.enabled).toBe(true);
    expect(s.controlBlock & KVM_ASYNC_PF_ENABLED).toBe(KVM_ASYNC_PF_ENABLED);
    expect(s.controlBlock & KVM_ASYNC_PF_SEND_ALWAYS).toBe(0n); // "FIXME: Enable KVM_ASYNC_PF_SEND_ALWAYS"
    expect(s.sendUserOnly).toBe(true);

    const always = harness(arm64DabtVariant, { knobs: { rfcSendAlways: 1 } }).vcpu().state;
    expect(always.controlBlock & KVM_ASYNC_PF_SEND_ALWAYS).toBe(KVM_ASYNC_PF_SEND_ALWAYS);
    expect(always.sendUserOnly).toBe(false);
  });

  // seed 003: kvm_async_pf_cpu_online() calls kvm_async_pf_enable(true), the boot function, which sends
  // BIT(62) | range and then BIT(63) | PA | ENABLED; kvm_async_pf_cpu_offline() sends BIT(63) alone.
  it('CPU down then up (kvm_async_pf_cpu_offline()/_online()): one BIT(63) disable, then the range and the enable again — two calls', () => {
    const h = harness(arm64DabtVariant);
    const v = h.vcpu();
    const apfCalls = (): number => h.exits()['HVC64(KVM_APF)'] ?? 0;
    expect(apfCalls()).toBe(2);
    h.sim.backend.guestCpuOffline(v);
    expect(apfCalls()).toBe(3);
    expect(v.state.enabled).toBe(false);
    expect(v.state.guest.enabled).toBe(false);
    h.sim.backend.vcpuReset(v);
    h.sim.backend.guestCpuOnline(v);
    expect(apfCalls()).toBe(5);
    expect(h.exits()['HVC64(KVM_FEATURES)']).toBe(1); // the probe is kvm_async_pf_cpu_init()'s, boot only
    expect(v.state.enabled).toBe(true);
    expect(v.state.guest.enabled).toBe(true);
    expect(v.state.noFaultInstRange).toBe(BigInt(RFCV2_RANGE));
  });

  it('a host without the feature: the guest stops after FEATURES and never enables', () => {
    const h = harness(arm64DabtVariant, { knobs: { apfCapability: 0 } });
    expect(h.exits()).toEqual({ 'HVC64(KVM_FEATURES)': 1 });
    expect(h.vcpu().state.guest.enabled).toBe(false);
  });
});

describe('RFCv1 enable: the IMPDEF system register (6/7 access_async_pf(), 7/7 kvm_pv_async_pf_enable())', () => {
  it('one trapped write of S3_7_C15_C15_7 with PA | ENABLED enables; the range stays the fixed 0x800', () => {
    const h = harness(arm64ImpdefVariant);
    const s = h.vcpu().state;
    expect(h.exits()).toEqual({ 'SYS64(S3_7_C15_C15_7)': 1 });
    expect(s.enabled).toBe(true);
    expect(s.controlBlock & KVM_ASYNC_PF_ENABLED).toBe(KVM_ASYNC_PF_ENABLED);
    expect(s.noFaultInstRange).toBe(dabt.RFCV1_NO_FAULT_INST_RANGE);
    expect(s.noFaultInstRange).toBe(0x800n);
    // RFCv1 has no range call: the RFCv2 function is not this host's.
    expect(x0(h.call({ kind: 'hvc', fn: APF_FN, args: [0x4000n, 1n << 30n] }))).toBe(SMCCC_RET_NOT_SUPPORTED);
    expect(s.noFaultInstRange).toBe(0x800n);
  });

  it('without the capability the write UNDEFs and the guest stays disabled', () => {
    const h = harness(arm64ImpdefVariant, { knobs: { apfCapability: 0 } });
    expect(h.vcpu().state.enabled).toBe(false);
    expect(h.vcpu().state.guest.enabled).toBe(false);
    const r = h.call({ kind: 'sysreg', reg: dabt.SYS_ASYNC_PF_EL1, value: AREA | KVM_ASYNC_PF_ENABLED });
    expect(r.kind).toBe('fault');
  });
});

describe('the gate: kvm_arch_can_inject_async_page_not_present() and try_async_pf() (7/9, 6/7)', () => {
  it.each(BOTH)('%s: a user-mode fault with reason 0 and the PC outside the range goes async', (_, variant) => {
    const h = booted(variant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A);
    const v = h.vcpu();
    expect(v.mode).toBe('run');
    expect(v.injected?.signal).toBe('not-present');
    expect(blockAt(v.state).reason).toBe(arm64Abi.KVM_PV_REASON_PAGE_NOT_PRESENT);
    expect(h.sim.metrics.asyncStarted).toBe(1);
  });

  it.each(BOTH)('%s: a kernel-mode fault is synchronous (send_user_only, SEND_ALWAYS off)', (_, variant) => {
    const h = booted(variant);
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(GFN_A);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.vcpu().injected).toBeNull();
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'kernel-mode': 1 });
  });

  it.each(BOTH)('%s: with a reason still set ("Pending page fault, which ins\'t acknowledged") the next fault is synchronous', (_, variant) => {
    const h = booted(variant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A); // reason 1, the abort not yet taken
    h.fault(GFN_B);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.vcpu().apf.gfns.has(GFN_B)).toBe(false);
    expect(h.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'signal-pending': 1 });
  });

  it.each([
    ['arm64-dabt (RFCv2)', arm64DabtVariant, RFCV2_RANGE],
    ['arm64-impdef (RFCv1)', arm64ImpdefVariant, 0x800],
  ] as const)('%s: never with the PC in [VBAR, VBAR + range): last instruction synchronous, first one past it async', (_, variant, range) => {
    const inside = booted(variant);
    inside.setCpu({ privilege: 'user', irqsMasked: false });
    pcAt(inside, codeAt(range - 4));
    inside.fault(GFN_A);
    expect(inside.vcpu().mode).toBe('sync');
    expect(inside.sim.metrics.syncFallbacks.toJSON()).toEqual({ 'in-vector-range': 1 });

    const past = booted(variant);
    past.setCpu({ privilege: 'user', irqsMasked: false });
    pcAt(past, codeAt(range));
    past.fault(GFN_A);
    expect(past.vcpu().mode).toBe('run');
    expect(past.vcpu().injected?.signal).toBe('not-present');
  });

  it.each(BOTH)('%s: an outstanding gfn under the gate returns to the guest unmapped (retry), no halt, no second token', (_, variant) => {
    const h = booted(variant);
    faultAndSleep(h, GFN_A);
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A);
    expect(v.mode).toBe('run');
    expect(v.injected).toBeNull();
    expect(v.apf.queued).toBe(1);
    expect(h.sim.metrics.repeatedFaults).toBe(1);
    expect(h.sim.metrics.haltReasons.toJSON()).toEqual({});
  });

  it('an outstanding gfn with the gate closed (kernel mode) is a synchronous fault, not a retry (try_async_pf() falls through)', () => {
    const h = booted(arm64DabtVariant);
    faultAndSleep(h, GFN_A);
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(GFN_A);
    expect(h.vcpu().mode).toBe('sync');
    expect(h.sim.metrics.repeatedFaults).toBe(0);
  });
});

describe('the injected abort (inject_abt64() via kvm_inject_dabt() / kvm_inject_dabt_with_dfsc(); facts/arm64.md §6)', () => {
  it.each(BOTH)('%s: from EL0, FAR = token, ESR EC 0x24 with the design\'s FSC, taken as a synchronous exception', (_, variant, fsc) => {
    const h = booted(variant);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A);
    const v = h.vcpu();
    expect(v.state.regs.far).toBe(tokenOf(h, GFN_A));
    expect(esrEc(v.state.regs.esr)).toBe(0x24);
    expect(esrFsc(v.state.regs.esr)).toBe(fsc);
    expect(v.injected?.exception).toBe('sync');
    expect(v.injected?.token).toBe(tokenOf(h, GFN_A));
  });

  it.each(BOTH)('%s: a page-ready taken at EL1 has EC 0x25, FAR = the token of the page', (_, variant, fsc) => {
    const h = booted(variant);
    const token = faultAndSleep(h, GFN_A);
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.complete(GFN_A);
    h.enter();
    const s = h.vcpu().state;
    expect(s.regs.far).toBe(token);
    expect(esrEc(s.regs.esr)).toBe(0x25);
    expect(esrFsc(s.regs.esr)).toBe(fsc);
  });
});

describe('page-ready (kvm_arch_can_inject_async_page_present(), kvm_check_async_pf_completion())', () => {
  it.each(BOTH)('%s: delivered at any privilege level ("performance critical"): a kernel-mode vCPU wakes the sleeper', (_, variant) => {
    const h = booted(variant);
    faultAndSleep(h, GFN_A);
    const sleeper = h.sim.tasks.find((t) => t.state === 'sleeping')!;
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    h.complete(GFN_A);
    h.enter();
    expect(h.sim.metrics.readyDelivered).toBe(2); // the boot wake-all, then this one
    expect(sleeper.state).toBe('runnable');
    expect(blockAt(h.vcpu().state).reason).toBe(0); // cleared in the handler
  });

  it.each(BOTH)('%s: held back while the reason word is set (one signal at a time), delivered at the next entry', (_, variant) => {
    const h = booted(variant);
    faultAndSleep(h, GFN_A);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_B); // not-present queued: reason 1 until its handler reads it
    h.complete(GFN_A);
    const v = h.vcpu();
    expect(h.backend.canDequeueAsyncPagePresent(v)).toEqual({ ok: false, reason: 'signal-pending' });
    h.enter(); // requests first (refused), then the not-present abort
    expect(v.apf.done.map((w) => w.gfn)).toEqual([GFN_A]);
    expect(h.sim.metrics.readyDelivered).toBe(1);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.enter();
    expect(v.apf.done).toHaveLength(0);
    expect(h.sim.metrics.readyDelivered).toBe(2);
  });

  it.each([
    ['arm64-dabt (RFCv2)', arm64DabtVariant, RFCV2_RANGE],
    ['arm64-impdef (RFCv1)', arm64ImpdefVariant, 0x800],
  ] as const)('%s: held back while the PC is in the range, delivered once it is out', (_, variant, range) => {
    const h = booted(variant);
    faultAndSleep(h, GFN_A);
    const v = h.vcpu();
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    pcAt(h, codeAt(range - 4));
    h.complete(GFN_A);
    expect(h.backend.canDequeueAsyncPagePresent(v)).toEqual({ ok: false, reason: 'in-vector-range' });
    h.enter(); // refused at entry; the code runs out of the range
    expect(v.apf.done).toHaveLength(1);
    expect(h.sim.metrics.readyDelivered).toBe(1);
    h.enter();
    expect(v.apf.done).toHaveLength(0);
    expect(h.sim.metrics.readyDelivered).toBe(2);
  });

  // RFCv2 7/9 (20200508032919.52147-8-gshan@redhat.com) and RFCv1 6/7 (20200410085820.758686-7-gshan@redhat.com),
  // virt/kvm/arm/arm.c kvm_arch_vcpu_runnable(): with KVM_ASYNC_PF_ENABLED, a non-empty done list, or a
  // reason word that reads non-zero (`ret || val`), makes the vCPU runnable, so its WFI does not block.
  it.each(BOTH)('%s: kvm_arch_vcpu_runnable() while enabled: a reason set or a completion on the done list (held back or not) makes the vCPU runnable', (_, variant) => {
    const h = booted(variant);
    const v = h.vcpu();
    expect(h.backend.apfRunnable(v)).toBe(false);
    h.setCpu({ privilege: 'user', irqsMasked: false });
    h.fault(GFN_A); // reason 1 written, the abort not yet taken
    expect(blockAt(v.state).reason).toBe(1);
    expect(h.backend.apfRunnable(v)).toBe(true);
    h.enter(); // taken: the handler clears the reason, the task sleeps
    expect(blockAt(v.state).reason).toBe(0);
    expect(h.backend.apfRunnable(v)).toBe(false);
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    pcAt(h, codeAt(0x100));
    h.complete(GFN_A);
    expect(h.backend.canDequeueAsyncPagePresent(v)).toEqual({ ok: false, reason: 'in-vector-range' });
    expect(h.backend.apfRunnable(v)).toBe(true);
    // The guest's idle WFI with that completion still on the list: a spin of exits, not a block.
    v.current = null;
    h.sim.enterWait(v, 'idle');
    expect(v.idleSpinFrom).toBeGreaterThanOrEqual(0);
  });

  // kvm_arch_async_page_ready(): RFCv2 7/9 returns early for work->wakeup_all ("the associated token (address)
  // is invalid"); RFCv1 6/7 (20200410085820.758686-7-gshan@redhat.com) has no such test and prefaults IPA 0.
  it.each([
    ['arm64-dabt (RFCv2)', arm64DabtVariant, false],
    ['arm64-impdef (RFCv1)', arm64ImpdefVariant, true],
  ] as const)('%s: a wake-all is prefaulted only where kvm_arch_async_page_ready() lacks the wakeup_all test', (_, variant, prefault) => {
    const h = booted(variant);
    const v = h.vcpu();
    const wakeAll = { wakeupAll: true, gfn: -1, token: WAKE_ALL_TOKEN } as unknown as AsyncPfWork;
    expect(h.backend.asyncPageReady(v, wakeAll)).toBe(prefault);
    expect(h.backend.asyncPageReady(v, { wakeupAll: false, gfn: GFN_A, token: 1 } as unknown as AsyncPfWork)).toBe(true);
  });

  it.each(BOTH)('%s: disabled, the done list does not make the vCPU runnable (the terms are under KVM_ASYNC_PF_ENABLED)', (_, variant) => {
    const h = harness(variant, { knobs: { apfCapability: 0 } });
    const v = h.vcpu();
    v.apf.done.push({ token: 1 } as AsyncPfWork);
    expect(h.backend.apfRunnable(v)).toBe(false);
  });

  it.each(BOTH)('%s: a completion does not kick a running vCPU: it waits for the next exit (v5.7 async_pf_execute())', (_, variant) => {
    const h = booted(variant);
    faultAndSleep(h, GFN_A);
    const v = h.vcpu();
    h.setCpu({ privilege: 'user', irqsMasked: false });
    const kicks = h.exits().IRQ ?? 0;
    h.complete(GFN_A);
    expect(v.exited).toBe(false);
    expect(h.exits().IRQ ?? 0).toBe(kicks);
    h.sim.enterGuest(v); // no exit happened: the request is not looked at
    expect(v.injected).toBeNull();
    expect(v.apf.done).toHaveLength(1);
    h.enter(); // the next exit, whatever caused it
    expect(h.sim.metrics.readyDelivered).toBe(2);
  });
});

describe('token: kvm_arch_setup_async_pf() `(apf.id++ << 16) | vcpu_id`, u16 id', () => {
  it.each(BOTH)('%s: tokens on vCPU 1 count up in the high half and the id wraps at 0xffff', (_, variant) => {
    const h = booted(variant, { vcpus: 2 }, 1);
    const v = h.vcpu(1);
    v.state.id = 0xfffe;
    const tokens: number[] = [];
    for (const gfn of [GFN_A, GFN_B, GFN_C]) {
      tokens.push(faultAndSleep(h, gfn, 1));
      expect(v.state.regs.far).toBe(tokens.at(-1));
      h.complete(gfn); // wake the sleeper so that vCPU 1 keeps a task to fault with
      h.enter(1);
    }
    expect(tokens).toEqual([0xfffe0001, 0xffff0001, 0x00000001]);
    expect(v.state.id).toBe(1); // a u16: 0xffff + 1 is 0
  });
});

describe('guest: do_async_pf() / do_lockdown(), kvm_async_pf_wait(), kvm_async_pf_wake() (seed 003, RFCv1 7/7)', () => {
  it.each(BOTH)('%s: reason 1 from user mode puts the task to sleep and clears the reason word', (_, variant) => {
    const h = booted(variant);
    const token = faultAndSleep(h, GFN_A);
    expect(blockAt(h.vcpu().state).reason).toBe(0);
    expect(h.vcpu().sleepTable.has(token)).toBe(true);
    expect(h.vcpu().guestHalted).toBe(false);
  });

  it.each(BOTH)('%s: reason 1 from kernel mode (SEND_ALWAYS) halts in the guest: the task stays current in a wfi loop', (_, variant) => {
    const h = booted(variant, { knobs: { rfcSendAlways: 1 } });
    const v = h.vcpu();
    const task = v.current!;
    h.setCpu({ privilege: 'kernel', irqsMasked: false });
    h.fault(GFN_A);
    h.enter();
    expect(v.guestHalted).toBe(true);
    expect(v.current).toBe(task);
    expect(task.state).toBe('running');
    expect(archEvents(h)['halted in the guest (not sleepable)']).toBe(1);
  });

  it.each(BOTH)('%s: reason 1 taken by the idle task halts (is_idle_task(current))', (_, variant) => {
    const h = booted(variant, { knobs: { rfcSendAlways: 1 } });
    const v = h.vcpu();
    v.runq.enqueue(v.current!);
    v.current = null;
    h.sim.stage2Fault(v, GFN_A);
    expect(v.injected?.signal).toBe('not-present');
    h.enter();
    expect(v.sleepTable.has(tokenOf(h, GFN_A))).toBe(true);
    expect(v.guestHalted).toBe(true);
  });

  it.each(BOTH)('%s: reason 2 for a token nobody waits on leaves a dummy, which the later reason 1 eats (no sleep)', (_, variant) => {
    const h = booted(variant);
    const v = h.vcpu();
    const task = v.current!;
    const work = { id: 99, vcpu: 0, gfn: GFN_C, faultAddress: 0, token: 0x50000, arch: null, wakeupAll: false, notPresentInjected: true };
    h.setCpu({ privilege: 'user', irqsMasked: false });
    expect(h.backend.asyncPagePresent(v, work)).toBe(true);
    h.enter();
    expect(v.sleepTable.dummies).toBe(1);
    expect(blockAt(v.state).reason).toBe(0);
    expect(h.backend.asyncPageNotPresent(v, work)).toBe(true);
    h.enter();
    expect(v.sleepTable.dummies).toBe(0);
    expect(task.state).toBe('running');
  });

  it('RFCv2: a wake while this CPU holds its run-queue lock is delayed, and finished at the next return to user', () => {
    const { h, sleeper } = readyUnderRqLock(arm64DabtVariant);
    const v = h.vcpu();
    expect(h.sim.metrics.readyDelivered).toBe(2);
    expect(sleeper.state).toBe('sleeping');
    expect(v.sleepTable.hasDelayed).toBe(true);
    expect(hazards(h)[RQ_LOCK_HAZARD]).toBeUndefined();

    // An interrupt from user mode: its way out is ret_to_user, where kvm_async_pf_delayed_wake() runs.
    h.setCpu({ privilege: 'user', irqsMasked: false });
    v.raiseIrq(99, 'other', false);
    h.enter();
    expect(sleeper.state).toBe('runnable');
    expect(v.sleepTable.hasDelayed).toBe(false);
  });

  it('RFCv1: the same wake acts at once, and the rq-lock deadlock is counted as a hazard (no delayed wake)', () => {
    const { h, sleeper } = readyUnderRqLock(arm64ImpdefVariant);
    expect(sleeper.state).toBe('runnable');
    expect(hazards(h)[RQ_LOCK_HAZARD]).toBe(1);
  });

  it('RFCv2 with rfcSendAlways: the halted wait never ends, since its wake is delayed (the sleeper is current) and the halt loop never reaches ret_to_user', () => {
    const { h, v, token } = haltedInKernel(arm64DabtVariant);
    for (let i = 0; i < 3; i++) h.enter();
    expect(h.sim.metrics.readyDelivered).toBe(2);
    expect(v.sleepTable.has(token)).toBe(true);
    expect(v.sleepTable.hasDelayed).toBe(true);
    expect(v.guestHalted).toBe(true);
    expect(stepFrames(h.sim, v)).toBe('busy'); // dsb(sy); wfi() again
    expect(v.guestHalted).toBe(true);
  });

  it('RFCv1 with rfcSendAlways: the halted wait ends at the page-ready (wake at once, smp_send_reschedule())', () => {
    const { h, v, token } = haltedInKernel(arm64ImpdefVariant);
    h.enter();
    expect(v.sleepTable.has(token)).toBe(false);
    expect(stepFrames(h.sim, v)).toBe('popped'); // the wfi loop sees its entry unhashed and breaks
    expect(v.guestHalted).toBe(false);
  });
});

describe('unsafe injections: the range against the exception code (Mark Rutland, 20200526123424.GF1363@C02TD0UTHF1T.local)', () => {
  const layout = arm64CodeLayout(2000);
  const retToUser = layout.exit('user')[0];
  const cEntry = layout.entry('sync', 'user')[2];

  it('ret_to_user lies inside RFCv2\'s range (page-ready held back) but outside RFCv1\'s (delivered there: counted unsafe)', () => {
    expect(retToUser.pc).toBeGreaterThan(0x800);
    expect(retToUser.pc).toBeLessThan(RFCV2_RANGE);
    for (const [variant, delivered] of [
      [arm64DabtVariant, false],
      [arm64ImpdefVariant, true],
    ] as const) {
      const h = booted(variant);
      faultAndSleep(h, GFN_A);
      h.setCpu({ privilege: 'kernel', irqsMasked: true });
      pcAt(h, retToUser);
      h.complete(GFN_A);
      h.enter();
      expect(h.sim.metrics.readyDelivered, variant.id).toBe(delivered ? 2 : 1);
      expect(h.sim.metrics.unsafeInjections.toJSON(), variant.id).toEqual(delivered ? { entry: 1 } : {});
    }
  });

  it.each(BOTH)('%s: the C entry code (entry-common.c, 64 KiB past VBAR) is outside any range: a page-ready there is counted unsafe', (_, variant) => {
    expect(cEntry.pc).toBeGreaterThanOrEqual(RFCV2_RANGE);
    const h = booted(variant);
    faultAndSleep(h, GFN_A);
    h.setCpu({ privilege: 'kernel', irqsMasked: true });
    pcAt(h, cEntry);
    h.complete(GFN_A);
    h.enter();
    expect(h.sim.metrics.unsafeInjections.toJSON()).toEqual({ fault: 1 });
  });
});

describe('compatibility rules (arches/arm64/dabt/mechanisms.ts DABT_RULES)', () => {
  const withMechanisms = (spec: VariantSpec, m: Partial<VariantSpec['mechanisms']>): VariantSpec => ({ ...spec, id: 'mine', mechanisms: { ...spec.mechanisms, ...m } });

  it('notPresent dabt-extabt with token shared-memory is refused, naming the dimensions', () => {
    expect(() => composeSpec(withMechanisms(ARM64_DABT_SPEC, { token: 'shared-memory' }))).toThrow(BadInputError);
    expect(() => composeSpec(withMechanisms(ARM64_DABT_SPEC, { token: 'shared-memory' }))).toThrow(/notPresent: "dabt-extabt" cannot go with token "shared-memory".*FAR_EL1/);
    expect(() => composeSpec(withMechanisms(ARM64_IMPDEF_SPEC, { token: 'shared-memory' }))).toThrow(/notPresent: "dabt-impdef-lockdown" cannot go with token "shared-memory"/);
  });

  it('token far without a data abort is refused ("FAR_EL1 is written only by a data abort")', () => {
    const spec = withMechanisms(ARM64_DABT_SPEC, { notPresent: 'vcpu-blocks' });
    expect(() => composeSpec(spec)).toThrow(BadInputError);
    expect(() => composeSpec(spec)).toThrow(/token: "far" cannot go with notPresent "vcpu-blocks": FAR_EL1 is written only by a data abort/);
  });

  it('the built-in specs compose', () => {
    expect(composeSpec({ ...ARM64_DABT_SPEC, id: 'again' }).mechanismIds).toEqual(arm64DabtVariant.mechanismIds);
    expect(composeSpec({ ...ARM64_IMPDEF_SPEC, id: 'again' }).mechanismIds).toEqual(arm64ImpdefVariant.mechanismIds);
  });
});


// ------------------------------------------------------------------------------------------------ whole runs

function shortened(name: string, ms: number): Scenario {
  const s = loadScenario(name);
  return { ...s, durationMs: ms, drain: { ...s.drain, maxMs: ms } };
}

describe('whole runs', () => {
  it.each(['overcommit', 'ipi-mix'].flatMap((s) => BOTH.map(([label, v]) => [s, label, v] as const)))(
    '%s, %s: invariant-clean, unsafeInjections reported',
    (scenario, _, variant) => {
      const r = runVariant(shortened(scenario, 300), variant, { seed: 1 });
      expect(r.invariants.violations).toEqual([]);
      expect(r.metrics.apf.asyncStarted).toBeGreaterThan(0);
      expect(r.metrics.apf.readyDelivered).toBeGreaterThan(0);
      expect(typeof r.metrics.unsafeInjections.total).toBe('number');
      expect(r.metrics.unsafeInjections.byRegion).toBeTypeOf('object');
    },
  );

  it('rfcSendAlways: RFCv2 reports invariant 7 (its halted waits never end); RFCv1 stays clean', () => {
    const s = { ...shortened('overcommit', 300), arch: { arm64: { rfcSendAlways: 1 } } };
    const v2 = runVariant(s, arm64DabtVariant, { seed: 1 });
    expect(v2.invariants.counts[7]).toBeGreaterThan(0);
    expect(v2.invariants.violations.every((x) => x.invariant === 7)).toBe(true);
    const v1 = runVariant(s, arm64ImpdefVariant, { seed: 1 });
    expect(v1.invariants.violations).toEqual([]);
  });

  /**
   * Swappable guest kernel pages, a 1 MiB host limit, a slow device and system calls: the exception
   * code's own pages fault, so exits land inside it. Assumptions of the scenario, not anchors.
   */
  const swappable = (): Scenario =>
    smallScenario({
      durationMs: 500,
      machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 1, guestKernelPages: 'swappable' },
      backing: { kind: 'swap', latency: { dist: 'lognormal', us: 1000, sigma: 0.8, minUs: 36 }, queueDepth: 32 },
      tasks: [
        { name: 'worker', count: 2, program: [{ compute: { us: 10000 } }] },
        // Every other touch by a system call: kernel entries are frequent enough that, with swap-out
        // writes batched 32 to an I/O (core/machine/swap.ts), seeds 1–6 all see 1–6 unsafe injections.
        { name: 'writer', count: 8, program: [{ touch: { region: 'array', pattern: 'random', pages: 1, thinkNs: 2000 } }, { syscall: { region: 'array', pattern: 'random', pages: 1, thinkNs: 2000 } }] },
      ],
    });

  it('swappable kernel pages: RFCv1 injects into exception code (unsafeInjections > 0); x86 and arm64-sdei never do', () => {
    const s = swappable();
    const impdef = runVariant(s, arm64ImpdefVariant, { seed: 1 });
    expect(impdef.invariants.violations).toEqual([]);
    expect(impdef.metrics.unsafeInjections.total).toBeGreaterThan(0);
    for (const id of ['x86', 'arm64-sdei']) {
      const r = runVariant(s, findVariant(id), { seed: 1 });
      expect(r.metrics.unsafeInjections.total, id).toBe(0);
    }
  });
});
