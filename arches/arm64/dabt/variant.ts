import type { Finding, Variant } from '../../../core/backend.js';
import { composeVariant, type VariantSpec } from '../../spec.js';
import { ARM64_ARCH } from '../mechanisms.js';

/**
 * Gavin Shan's data-abort designs as specs over the arm64 catalogue (the mechanisms are in
 * arches/arm64/dabt/mechanisms.ts): RFCv2, seed 003 (`arm64-dabt`, PROTOCOLS.md §4.5), and RFCv1
 * (`arm64-impdef`, §4.6), with their review findings.
 */

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

export const RFCV2_FINDINGS: readonly Finding[] = [
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

export const RFCV1_FINDINGS: readonly Finding[] = [
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

/** `arm64-dabt`: RFCv2 (seed 003), NAKed. */
export const ARM64_DABT_SPEC: VariantSpec = {
  id: 'arm64-dabt',
  arch: 'arm64',
  title: 'arm64 RFCv2: both signals as an injected data abort (token in FAR, reason in the control block), no injection while the PC is in [VBAR, VBAR + range)',
  origin: 'Gavin Shan, RFCv2 2020-05-08 (seed 003), NAKed by Mark Rutland (facts/arm64.md §1 RFCv2, §2)',
  mechanisms: {
    enable: 'smccc-apf-rfcv2',
    notPresent: 'dabt-extabt',
    ready: 'dabt-extabt',
    token: 'far',
    eligibility: 'user-mode-pc-range',
    wake: 'sleep-or-halt-delayed',
    ack: 'reason-word',
  },
  findings: RFCV2_FINDINGS,
};

/** `arm64-impdef`: RFCv1, rejected for its IMPDEF register and syndrome. */
export const ARM64_IMPDEF_SPEC: VariantSpec = {
  id: 'arm64-impdef',
  arch: 'arm64',
  title: 'arm64 RFCv1: both signals as a data abort with the IMPDEF DFSC 0x34, token in FAR; IMPDEF system register enable; no injection in the vector table',
  origin: 'Gavin Shan, RFCv1 2020-04-10, rejected: IMPDEF (facts/arm64.md §1 RFCv1, §2)',
  mechanisms: {
    enable: 'impdef-sysreg',
    notPresent: 'dabt-impdef-lockdown',
    ready: 'dabt-impdef-lockdown',
    token: 'far',
    eligibility: 'user-mode-pc-range',
    wake: 'sleep-or-halt',
    ack: 'reason-word',
  },
  findings: RFCV1_FINDINGS,
};

export const arm64DabtVariant: Variant = composeVariant(ARM64_DABT_SPEC, ARM64_ARCH);
export const arm64ImpdefVariant: Variant = composeVariant(ARM64_IMPDEF_SPEC, ARM64_ARCH);
