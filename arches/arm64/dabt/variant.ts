import type { Backend, Finding, GuestCall, GuestCallExit, KvmVcpu, Mechanisms, Variant, VariantContext } from '../../../core/backend.js';
import { cyclesToNs, exitCostsFromTable } from '../../../core/costs.js';
import { arm64CodeLayout } from '../code-layout.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID, ASYNC_PF_PER_VCPU } from '../constants.js';
import { ARM64_COST_KEYS, ARM64_COSTS, ARM64_EXIT_NAMES } from '../costs.js';
import { ARM64_IPI_CAPS, trappedSysregWrite } from '../ipi.js';
import type { Arm64GuestCall } from '../smccc.js';
import { ARM64_SDEI_KNOBS, checkArm64Knobs } from '../variant.js';
import { ARM_SMCCC_KVM_FUNC_APF_RFCV2, ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID, DEFAULT_NO_FAULT_INST_RANGE, DFSC_EXTABT, DFSC_IMPDEF_LOCKDOWN, RFCV1_NO_FAULT_INST_RANGE, SYS_ASYNC_PF_EL1 } from './constants.js';
import { doAsyncPf, rfcv1GuestInit, rfcv2GuestInit, type DabtGuestConfig } from './guest.js';
import * as host from './host.js';
import { createDabtState, type DabtVcpuState } from './state.js';

const AREA_BASE = 0x100000n;
/** The rq-lock deadlock RFCv2's delayed wake exists for (seed 003 commit message). */
export const RQ_LOCK_HAZARD = 'page-ready taken with the run-queue lock held: the wake would deadlock on it (no delayed wake)';

type V = KvmVcpu<DabtVcpuState>;

/** What separates the two postings (facts/arm64.md §1 RFCv1, RFCv2). */
interface DabtRevision {
  readonly fsc: number;
  readonly defaultRange: bigint;
  readonly guestInit: (vcpu: V, cfg: DabtGuestConfig) => void;
  readonly enableCall: (vcpu: V, call: Arm64GuestCall, guestMemoryBytes: number) => GuestCallExit | null;
  /** RFCv2 added the delayed wake; RFCv1 wakes at once, even under the run-queue lock. */
  readonly delayedWake: boolean;
  readonly findings: readonly Finding[];
}

const MARK_RANGE: Finding = {
  id: 'vector-range-insufficient',
  severity: 'blocker',
  text: 'The excluded PC range covers the vectors, but "the bulk of the non-reentrant exception entry work happens elsewhere … not even virtually contiguous"; module and eBPF JIT code may not be safe to fault in either. The lab counts the injections its range lets through (unsafeInjections).',
  cite: 'Mark Rutland 2020-05-26 on RFCv2 7/9, 20200526123424.GF1363@C02TD0UTHF1T.local (facts/arm64.md §2)',
};
const MARC_PC: Finding = {
  id: 'pc-guess',
  severity: 'blocker',
  text: '"Trying to guess based on the PC won\'t fly": delivery should be maskable by PSTATE.{I,F,A}; "I don\'t see a good path forward unless we start considering something like SDEI."',
  cite: 'Marc Zyngier 2020-05-27 on RFCv2 7/9, 28c74819f42306e66370ddaf88f16918@kernel.org (facts/arm64.md §2)',
};
const PAD60: Finding = {
  id: 'pad60-cache-line',
  severity: 'concern',
  text: 'The control block\'s pad[60] assumes a 64-byte cache line; the size is IMPDEF (CTR_EL0, 32–256 bytes).',
  cite: 'Marc Zyngier 2020-05-27, 28c74819f42306e66370ddaf88f16918@kernel.org (facts/arm64.md §2)',
};
const SEND_ALWAYS_HALT: Finding = {
  id: 'send-always-off',
  severity: 'note',
  text: 'SEND_ALWAYS is never set by the posted guest (a FIXME; RFCv1: "simply not working reliably"): kernel-mode faults are synchronous. With the rfcSendAlways knob the halted wait runs — and under RFCv2 its wake, whose sleeper is the current task, is delayed to a return to user the halt loop never reaches (seed 003 kvm_async_pf_wake_one()).',
  cite: 'seed 003 (RFCv2 9/9) kvm_async_pf_enable(), kvm_async_pf_wait(), kvm_async_pf_wake_one(); Marc Zyngier quoting the RFCv1 cover, d2882e806ad2f9793437160093c8d3fa@kernel.org',
};

const RFCV2_FINDINGS: readonly Finding[] = [
  {
    id: 'dabt-nacked',
    severity: 'blocker',
    text: 'Not merged: Mark Rutland was "fearful of this series", not keen on "injecting non-architectural exceptions" nor on PV hooks in ret_to_user; the series moved to SDEI in v1.',
    cite: 'Mark Rutland 2020-05-26, 20200526130927.GH1363@C02TD0UTHF1T.local (facts/arm64.md §2)',
  },
  MARK_RANGE,
  MARC_PC,
  {
    id: 'reuse-memory-abort',
    severity: 'concern',
    text: 'Page-not-present should not reuse the memory abort ("reserve one ESR exception code") and page-ready should be an interrupt: "repeating most of the mistakes done in the x86 implementation".',
    cite: 'Paolo Bonzini 2020-05-27 on RFCv2 9/9, 81adf013-3de7-23e6-7648-8aec821b033c@redhat.com',
  },
  PAD60,
  SEND_ALWAYS_HALT,
  {
    id: 'smccc-number-taken',
    severity: 'note',
    text: 'Vendor-hyp function 1 (0x86000001) is PTP upstream.',
    cite: 'facts/arm64.md §3',
  },
];

const RFCV1_FINDINGS: readonly Finding[] = [
  {
    id: 'impdef-sysreg',
    severity: 'blocker',
    text: '"We don\'t add IMPDEF sysregs, period … there\'s the HVC instruction": KVM/arm is (supposed to be) an architectural hypervisor.',
    cite: 'Marc Zyngier 2020-04-10 on RFCv1, d2882e806ad2f9793437160093c8d3fa@kernel.org (facts/arm64.md §2)',
  },
  {
    id: 'impdef-dfsc',
    severity: 'blocker',
    text: 'IMPDEF registers and DFSCs belong to the implementation: DFSC 0x34 ("implementation fault (lockdown abort)") is not the hypervisor\'s to use, and the value may not even stick in ESR_EL1.',
    cite: 'Mark Rutland 2020-04-16, 20200416091621.GA4987@lakrids.cambridge.arm.com (facts/arm64.md §2)',
  },
  { ...MARK_RANGE, text: 'The excluded range is the vector table alone (0x800); the entry code after it and the C entry code are not covered. The lab counts the injections that land there (unsafeInjections).' },
  {
    id: 'no-delayed-wake',
    severity: 'concern',
    text: 'A page-ready abort cannot be masked, so it may be taken while this CPU holds its run-queue lock, and the wake (swake_up_one()) would deadlock on it: RFCv2 added the delayed wake for this. Counted as a hazard.',
    cite: 'seed 003 commit message ("prone to cause dead-lock on CPU runqueue lock"); RFCv1 7/7 kvm_pv_async_pf_wake_one(), 20200410085820.758686-8-gshan@redhat.com',
  },
  PAD60,
  SEND_ALWAYS_HALT,
];

/** RFCv2: the vendor-hyp call, plus FEATURES advertising it (Will Deacon's probe patches in the series). */
function rfcv2EnableCall(vcpu: V, call: Arm64GuestCall, guestMemoryBytes: number): GuestCallExit | null {
  if (call.kind !== 'hvc') return null;
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID) return { result: host.apfHypercall(vcpu, call.args, guestMemoryBytes), exit: 'HVC64(KVM_APF)', kind: 'hypercall' };
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID) {
    const bits = 1n | (vcpu.state.offered ? 1n << BigInt(ARM_SMCCC_KVM_FUNC_APF_RFCV2) : 0n);
    return { result: { kind: 'ok', regs: [bits] }, exit: 'HVC64(KVM_FEATURES)', kind: 'hypercall' };
  }
  return null;
}

/** RFCv1: a trapped write of the IMPDEF register; without the feature it UNDEFs. A write has no return value. */
function rfcv1EnableCall(vcpu: V, call: Arm64GuestCall, guestMemoryBytes: number): GuestCallExit | null {
  if (call.kind !== 'sysreg' || call.reg !== SYS_ASYNC_PF_EL1) return null;
  const exit = `SYS64(${SYS_ASYNC_PF_EL1})`;
  if (!vcpu.state.offered) return { result: { kind: 'fault', vector: 'UNDEF' }, exit, kind: 'trap' };
  host.updateEnableReg(vcpu, call.value, guestMemoryBytes);
  return { result: { kind: 'ok', regs: [] }, exit, kind: 'trap' };
}

function guestCall(vcpu: V, anyCall: GuestCall, rev: DabtRevision, guestMemoryBytes: number): GuestCallExit {
  const call = anyCall as Arm64GuestCall;
  const own = rev.enableCall(vcpu, call, guestMemoryBytes);
  if (own) return own;
  if (call.kind === 'sysreg') return trappedSysregWrite(vcpu, call.reg, call.value);
  if (call.kind !== 'hvc') return { result: { kind: 'fault', vector: 'UNDEF' }, exit: 'UNKNOWN', kind: 'trap' };
  return { result: { kind: 'ok', regs: [-1n] }, exit: `HVC64(0x${call.fn.toString(16)})`, kind: 'hypercall' };
}

export const RFCV2: DabtRevision = { fsc: DFSC_EXTABT, defaultRange: DEFAULT_NO_FAULT_INST_RANGE, guestInit: rfcv2GuestInit, enableCall: rfcv2EnableCall, delayedWake: true, findings: RFCV2_FINDINGS };
export const RFCV1: DabtRevision = { fsc: DFSC_IMPDEF_LOCKDOWN, defaultRange: RFCV1_NO_FAULT_INST_RANGE, guestInit: rfcv1GuestInit, enableCall: rfcv1EnableCall, delayedWake: false, findings: RFCV1_FINDINGS };

/**
 * Costs: arm64's table (shared with its baseline). The abort is written at entry like any
 * exception injection, priced at `injectIrqCycles` rather than the SDEI dispatch's entry; the
 * guest's do_async_pf() at `guestIrqHandlerCycles` (a table lookup and a wake, as the PPI handler).
 */
export function createDabtBackend(ctx: VariantContext, rev: DabtRevision): Backend<DabtVcpuState, { gfn: number }> {
  const c = ctx.costOverrides;
  checkArm64Knobs(ctx.knobs);
  const cfg = (id: number): DabtGuestConfig => ({ areaGpa: AREA_BASE + BigInt(id) * 64n, handlerNs: cyclesToNs(c.guestIrqHandlerCycles, c.clockMHz) });
  const handler = (v: V) => () => doAsyncPf(v, cfg(v.id), rev.delayedWake ? undefined : () => rqLockHazard(v));
  return {
    arch: 'arm64',
    caps: {
      asyncPfPerVcpu: ASYNC_PF_PER_VCPU,
      ackRequired: false,
      // try_async_pf() returns to the guest unmapped for an outstanding gfn: it faults again.
      undeliveredWait: 'retry',
      // v5.7's kvm_check_async_pf_completion() delivers every completion.
      readyOnlyIfNotPresentInjected: false,
      irqOrder: 'lowest-first',
      irqVsRefault: null,
      guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: rev.delayedWake },
      forbiddenNotPresent: ['kernel-mode'],
      ipi: ARM64_IPI_CAPS,
      codeLayout: arm64CodeLayout(c.clockMHz),
    },
    costs: exitCostsFromTable(c, { ...ARM64_COST_KEYS, inject: { event: 'injectIrqCycles', irq: 'injectIrqCycles' } }),
    findings: rev.findings,
    exitNames: ARM64_EXIT_NAMES,
    createVcpuState: (id) => createDabtState(id, { ...ctx.knobs, sendAlways: ctx.knobs.rfcSendAlways }, rev.defaultRange),
    guestInit: (v) => rev.guestInit(v, cfg(v.id)),
    faultInGuest: () => false,
    canDoAsyncPf: host.canInjectNotPresent,
    setupAsyncPf: host.setupAsyncPf,
    canDeliverAsyncPf: host.canInjectNotPresent,
    asyncPageNotPresent: (v, w) => host.asyncPageNotPresent(v, w, rev.fsc, handler(v)),
    asyncPagePresentQueued: host.asyncPagePresentQueued,
    canDequeueAsyncPagePresent: host.canInjectPresent,
    asyncPageReady: (_v, w) => !w.wakeupAll,
    asyncPagePresent: (v, w) => host.asyncPagePresent(v, w, rev.fsc, handler(v)),
    guestCall: (v, call) => guestCall(v, call, rev, ctx.guestMemoryBytes),
    conditions: () => [],
  };
}

/** RFCv1 wakes at once: taken with the run-queue lock held, that wake would deadlock (counted). */
function rqLockHazard(v: V): void {
  if (v.cpu.rqLocked) v.hazard(RQ_LOCK_HAZARD);
}

function dabtVariant(id: string, title: string, origin: string, mechanisms: Mechanisms, rev: DabtRevision): Variant {
  return { id, arch: 'arm64', title, origin, mechanisms, defaultCosts: ARM64_COSTS, knobs: ARM64_SDEI_KNOBS, createBackend: (ctx) => createDabtBackend(ctx, rev) };
}

export const arm64DabtVariant: Variant = dabtVariant(
  'arm64-dabt',
  'arm64 RFCv2: both signals as an injected data abort (token in FAR, reason in the control block), no injection while the PC is in [VBAR, VBAR + range)',
  'Gavin Shan, RFCv2 2020-05-08 (seed 003), NAKed by Mark Rutland (facts/arm64.md §1 RFCv2, §2)',
  {
    enable: 'SMCCC 0x86000001: BIT(62) | range (while disabled, max(old, new), default 0x800), then BIT(63) | PA | ENABLED',
    notPresent: 'data abort (EC 0x24/0x25, FSC 0x10) as inject_abt64 writes it, token in FAR, reason 1 in the control block',
    ready: 'the same data abort, reason 2, at any privilege level',
    token: '(id++ << 16) | vcpu_id, u16 id',
    eligibility: 'user mode, no reason pending, PC outside [VBAR, VBAR + largest handler offset + 4096); else synchronous',
    wake: 'sleep, or halt in a wfi loop where not sleepable; wakes delayed to ret_to_user / idle when the sleeper is current or the rq lock is held',
    ack: 'none: the guest clears the reason word (one signal outstanding)',
  },
  RFCV2,
);

export const arm64ImpdefVariant: Variant = dabtVariant(
  'arm64-impdef',
  'arm64 RFCv1: both signals as a data abort with the IMPDEF DFSC 0x34, token in FAR; IMPDEF system register enable; no injection in the vector table',
  'Gavin Shan, RFCv1 2020-04-10, rejected: IMPDEF (facts/arm64.md §1 RFCv1, §2)',
  {
    enable: 'IMPDEF system register S3_7_C15_C15_7 (trapped) written with PA | ENABLED',
    notPresent: 'data abort with DFSC 0x34 (IMPDEF lockdown), token in FAR, reason 1 in the control block',
    ready: 'the same data abort, reason 2',
    token: '(id++ << 16) | vcpu_id, u16 id',
    eligibility: 'user mode, no reason pending, PC outside [VBAR, VBAR + 0x800); else synchronous',
    wake: 'sleep, or halt in a wfi loop where not sleepable; woken at once (no delayed wake)',
    ack: 'none: the guest clears the reason word (one signal outstanding)',
  },
  RFCV1,
);
