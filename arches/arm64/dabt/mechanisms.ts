import type { GuestCall, GuestCallExit, KvmVcpu } from '../../../core/backend.js';
import type { BackendFragment, CompatibilityRule, FragmentEnv, Mechanism } from '../../spec.js';
import { ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID } from '../constants.js';
import type { Arm64GuestCall } from '../smccc.js';
import { dabtVcpuMigrated } from '../migration.js';
import { ARM_SMCCC_KVM_FUNC_APF_RFCV2, ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID, DEFAULT_NO_FAULT_INST_RANGE, DFSC_EXTABT, DFSC_IMPDEF_LOCKDOWN, RFCV1_NO_FAULT_INST_RANGE, SYS_ASYNC_PF_EL1 } from './constants.js';
import { doAsyncPf, rfcv1GuestCpuOffline, rfcv1GuestCpuOnline, rfcv1GuestInit, rfcv2GuestCpuOffline, rfcv2GuestCpuOnline, rfcv2GuestInit, type DabtGuestConfig } from './guest.js';
import * as host from './host.js';
import { createDabtState, type DabtVcpuState } from './state.js';
import { vmPlaces } from '../control-block.js';

/**
 * The arm64 catalogue's entries for Gavin Shan's data-abort designs, RFCv1 and RFCv2
 * (facts/arm64.md §1; PROTOCOLS.md §4.5–§4.6): their enable channels, the abort that carries
 * both signals with the token in FAR_EL1, the PC-range gate, and the guest's wait and wake.
 */
type V = KvmVcpu<DabtVcpuState>;

/** The rq-lock deadlock RFCv2's delayed wake exists for (seed 003 commit message). */
export const RQ_LOCK_HAZARD = 'page-ready taken with the run-queue lock held: the wake would deadlock on it (no delayed wake)';

/**
 * The guest's abort handler: do_async_pf() / do_lockdown() at the price of the PPI handler (a
 * table lookup and a wake). The injection itself is priced at the arm64 table's exception entry
 * (injectExceptionCycles).
 */
function guestConfig(env: FragmentEnv): DabtGuestConfig {
  return { handlerNs: env.ns(env.ctx.costOverrides.guestIrqHandlerCycles) };
}

/** RFCv2: the vendor-hyp call, and FEATURES advertising it (Will Deacon's probe patches in the series). */
function rfcv2Call(vcpu: V, call: Arm64GuestCall, guestMemoryBytes: number): GuestCallExit | null {
  if (call.kind !== 'hvc') return null;
  if (call.fn === ARM_SMCCC_VENDOR_HYP_KVM_APF_FUNC_ID) return { result: host.apfHypercall(vcpu, call.args, guestMemoryBytes), exit: 'HVC64(KVM_APF)', kind: 'hypercall' };
  if (call.fn !== ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID) return null;
  const bits = 1n | (vcpu.state.offered ? 1n << BigInt(ARM_SMCCC_KVM_FUNC_APF_RFCV2) : 0n);
  return { result: { kind: 'ok', regs: [bits] }, exit: 'HVC64(KVM_FEATURES)', kind: 'hypercall' };
}

/** RFCv1: a trapped write of the IMPDEF register, UNDEF without the feature; a write returns nothing. */
function rfcv1Call(vcpu: V, call: Arm64GuestCall, guestMemoryBytes: number): GuestCallExit | null {
  if (call.kind !== 'sysreg' || call.reg !== SYS_ASYNC_PF_EL1) return null;
  const exit = `SYS64(${SYS_ASYNC_PF_EL1})`;
  if (!vcpu.state.offered) return { result: { kind: 'fault', vector: 'UNDEF' }, exit, kind: 'trap' };
  host.updateEnableReg(vcpu, call.value, guestMemoryBytes);
  return { result: { kind: 'ok', regs: [] }, exit, kind: 'trap' };
}

type EnableCall = (vcpu: V, call: Arm64GuestCall, guestMemoryBytes: number) => GuestCallExit | null;

/** The guest's CPU-down and CPU-up callbacks (dabt/guest.ts). */
interface RfcHotplug {
  readonly offline: (v: V) => void;
  readonly online: (v: V) => void;
}

/**
 * `restored`: the VMM carries the enable register to the destination. RFCv1's SYS_ASYNC_PF_EL1 is
 * a sys_reg_descs entry with get_user/put_user (RFCv1 6/7, 20200410085820.758686-7-gshan@redhat.com),
 * so KVM_GET_REG_LIST lists it (sys_regs.c walk_one_sys_reg()) and QEMU writes it back with
 * KVM_SET_ONE_REG, whose update queues a wake-all; RFCv2's SMCCC state has no such path.
 */
function rfcEnable(range: bigint, init: (v: V) => void, own: EnableCall, restored: boolean, hotplug: RfcHotplug) {
  return (env: FragmentEnv): BackendFragment => {
    const base = env.base.guestCall;
    const place = vmPlaces();
    return {
      createVcpuState: (id) => createDabtState(id, { ...env.ctx.knobs, sendAlways: env.ctx.knobs.rfcSendAlways }, range, place(id)),
      guestInit: init,
      guestCall: (v: V, call: GuestCall) => own(v, call as Arm64GuestCall, env.ctx.guestMemoryBytes) ?? base(v, call),
      vcpuMigrated: (v: V) => dabtVcpuMigrated(v, range, restored ? env.ctx.guestMemoryBytes : null),
      // RFCv1's register has a reset hook (reset_async_pf(): the update with 0, RFCv1 6/7); RFCv2's state has none.
      vcpuReset: (v: V) => {
        if (restored) host.updateEnableReg(v, 0n, env.ctx.guestMemoryBytes);
      },
      guestCpuOffline: hotplug.offline,
      guestCpuOnline: hotplug.online,
    };
  };
}

export const DABT_ENABLE: Readonly<Record<string, Mechanism>> = {
  'smccc-apf-rfcv2': {
    text: 'SMCCC 0x86000001: BIT(62) | range (while disabled, max(old, new), default 0x800), then BIT(63) | PA | ENABLED',
    fragment: rfcEnable(DEFAULT_NO_FAULT_INST_RANGE, rfcv2GuestInit, rfcv2Call, false, { offline: rfcv2GuestCpuOffline, online: rfcv2GuestCpuOnline }),
  },
  'impdef-sysreg': {
    text: 'IMPDEF system register S3_7_C15_C15_7 (trapped) written with PA | ENABLED',
    fragment: rfcEnable(RFCV1_NO_FAULT_INST_RANGE, rfcv1GuestInit, rfcv1Call, true, { offline: rfcv1GuestCpuOffline, online: rfcv1GuestCpuOnline }),
  },
};

/** The abort's handler; RFCv1's wakes at once, so a wake under the run-queue lock is a deadlock (counted). */
function handler(env: FragmentEnv, rqLockHazard: boolean): (v: V) => () => void {
  const cfg = guestConfig(env);
  return (v) => () => doAsyncPf(v, cfg, rqLockHazard ? () => v.cpu.rqLocked && v.hazard(RQ_LOCK_HAZARD) : undefined);
}

const notPresentAbort = (fsc: number, rqLockHazard: boolean) => (env: FragmentEnv): BackendFragment => {
  const h = handler(env, rqLockHazard);
  return { asyncPageNotPresent: (v: V, w) => host.asyncPageNotPresent(v, w, fsc, h(v)) };
};

export const DABT_NOT_PRESENT: Readonly<Record<string, Mechanism>> = {
  'dabt-extabt': {
    text: 'data abort (EC 0x24/0x25, FSC 0x10) as inject_abt64 writes it, token in FAR, reason 1 in the control block',
    fragment: notPresentAbort(DFSC_EXTABT, false),
  },
  'dabt-impdef-lockdown': {
    text: 'data abort with DFSC 0x34 (IMPDEF lockdown), token in FAR, reason 1 in the control block',
    fragment: notPresentAbort(DFSC_IMPDEF_LOCKDOWN, true),
  },
};

/**
 * kvm_arch_async_page_ready(): RFCv2 skips the prefault for a wake-all ("the associated token
 * (address) is invalid", 7/9); RFCv1 has no such test (6/7), so its wake-all, zero-allocated by
 * kvm_async_pf_wakeup_all(), prefaults IPA 0 like any completion: one more pass of the host's
 * fault handling, priced as one (what IPA 0 holds is not modelled).
 */
const readyAbort = (fsc: number, rqLockHazard: boolean, prefaultWakeAll: boolean) => (env: FragmentEnv): BackendFragment => {
  const h = handler(env, rqLockHazard);
  return {
    asyncPagePresentQueued: host.asyncPagePresentQueued,
    canDequeueAsyncPagePresent: host.canInjectPresent,
    apfRunnable: host.vcpuRunnable,
    asyncPageReady: (_v, w) => prefaultWakeAll || !w.wakeupAll,
    asyncPagePresent: (v: V, w) => host.asyncPagePresent(v, w, fsc, h(v)),
    // v5.7's kvm_check_async_pf_completion() delivers every completion.
    caps: { readyOnlyIfNotPresentInjected: false },
  };
};

export const DABT_READY: Readonly<Record<string, Mechanism>> = {
  'dabt-extabt': { text: 'the same data abort, reason 2, at any privilege level', fragment: readyAbort(DFSC_EXTABT, false, false) },
  'dabt-impdef-lockdown': { text: 'the same data abort with DFSC 0x34, reason 2', fragment: readyAbort(DFSC_IMPDEF_LOCKDOWN, true, true) },
};

export const DABT_TOKEN: Readonly<Record<string, Mechanism>> = {
  far: { text: '(id++ << 16) | vcpu_id, u16 id, in FAR_EL1', fragment: () => ({ setupAsyncPf: host.setupAsyncPf }) },
};

export const DABT_ELIGIBILITY: Readonly<Record<string, Mechanism>> = {
  'user-mode-pc-range': {
    text: 'user mode, no reason pending, PC outside [VBAR, VBAR + range); else synchronous',
    fragment: (env) => ({
      // try_async_pf(): one gate for starting and telling; an outstanding gfn re-enters unmapped.
      canDoAsyncPf: host.canInjectNotPresent,
      canDeliverAsyncPf: host.canInjectNotPresent,
      // kvm_async_pf_update_enable_reg(): send_user_only = !(data & KVM_ASYNC_PF_SEND_ALWAYS), so a
      // guest that enables with SEND_ALWAYS (the rfcSendAlways knob) may get a kernel-mode not-present.
      caps: { undeliveredWait: 'retry', forbiddenNotPresent: env.knobs.rfcSendAlways === 1 ? [] : ['kernel-mode'] },
    }),
  },
};

export const DABT_WAKE: Readonly<Record<string, Mechanism>> = {
  'sleep-or-halt-delayed': {
    text: 'sleep, or halt in a wfi loop where not sleepable; a wake is delayed to ret_to_user / idle when the sleeper is current or the rq lock is held',
    fragment: () => ({ caps: { guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: true } } }),
  },
  'sleep-or-halt': {
    text: 'sleep, or halt in a wfi loop where not sleepable; woken at once (no delayed wake)',
    fragment: () => ({ caps: { guestWake: { dummyOnEarlyWake: true, entryAtFlag: false, delayedWake: false } } }),
  },
};

export const DABT_ACK: Readonly<Record<string, Mechanism>> = {
  'reason-word': { text: 'none: the guest clears the reason word, which holds back the next signal' },
};

const ABORTS = ['dabt-extabt', 'dabt-impdef-lockdown'];
const RFC_ENABLES = ['smccc-apf-rfcv2', 'impdef-sysreg'];

/** What cannot go together with the data-abort mechanisms, and why. */
export const DABT_RULES: readonly CompatibilityRule[] = [
  { dimension: 'notPresent', ids: ABORTS, requires: { dimension: 'token', ids: ['far'] }, reason: 'the injected data abort carries the token in FAR_EL1; the RFC control block {u32 reason; pad[60]; u32 enabled} has no token word' },
  { dimension: 'token', ids: ['far'], requires: { dimension: 'notPresent', ids: ABORTS }, reason: 'FAR_EL1 is written only by a data abort' },
  { dimension: 'notPresent', ids: ABORTS, requires: { dimension: 'enable', ids: RFC_ENABLES }, reason: 'the guest\'s abort handler must read the reason word of the RFC control block, which only an RFC enable registers' },
  { dimension: 'ready', ids: ['dabt-extabt'], requires: { dimension: 'notPresent', ids: ['dabt-extabt'] }, reason: 'RFCv2 sends both signals the same way, and its guest tells them apart by the reason word only' },
  { dimension: 'ready', ids: ['dabt-impdef-lockdown'], requires: { dimension: 'notPresent', ids: ['dabt-impdef-lockdown'] }, reason: 'RFCv1\'s guest hooks only FSC 0x34 (do_lockdown()) for both signals' },
  { dimension: 'notPresent', ids: ABORTS, requires: { dimension: 'eligibility', ids: ['user-mode-pc-range'] }, reason: 'an abort may only be injected outside the exception code it would clobber, which only the PC-range gate checks' },
  { dimension: 'eligibility', ids: ['user-mode-pc-range'], requires: { dimension: 'enable', ids: RFC_ENABLES }, reason: 'the gate reads the range and reason word an RFC enable registers' },
  { dimension: 'wake', ids: ['sleep-or-halt-delayed', 'sleep-or-halt'], requires: { dimension: 'notPresent', ids: ABORTS }, reason: 'the halted wait is the RFC abort handler\'s; other designs sleep at return to user or in their own handler' },
  { dimension: 'ack', ids: ['reason-word'], requires: { dimension: 'ready', ids: ABORTS }, reason: 'only the abort designs hold the next signal back by the reason word' },
];
