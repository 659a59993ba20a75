import { no, YES, type AsyncPfWork, type GuestCallResult, type KvmVcpu, type Verdict } from '../../../core/backend.js';
import { KVM_ASYNC_PF_ENABLED, KVM_ASYNC_PF_SEND_ALWAYS, KVM_PV_REASON_PAGE_NOT_PRESENT, KVM_PV_REASON_PAGE_READY, SMCCC_RET_NOT_REQUIRED, SMCCC_RET_NOT_SUPPORTED, SMCCC_RET_SUCCESS, WAKE_ALL_TOKEN } from '../constants.js';
import { APF_OP_ENABLE, APF_OP_MASK, APF_OP_RANGE, CONTROL_GPA_MASK, ESR_ELX_EC_DABT_CUR, ESR_ELX_EC_DABT_LOW } from './constants.js';
import { hostReason, hostWriteReason } from '../control-block.js';
import type { DabtVcpuState } from './state.js';
import { allocToken, ARM64_RFC_TOKEN } from '../../token.js';

/**
 * The host half of Gavin Shan's data-abort designs: RFCv2's virt/kvm/arm/async_pf.c and the
 * try_async_pf() of its mmu.c (7/9, 20200508032919.52147-8-gshan@redhat.com), which RFCv1 shares
 * but for the enable register and the fixed range (facts/arm64.md §1).
 *
 * One gate decides everything: try_async_pf() starts async work only when
 * kvm_arch_can_inject_async_page_not_present() holds, and then always injects; otherwise the
 * fault is synchronous (a blocking gfn_to_pfn). A fault on a gfn already outstanding, under the
 * same gate, returns to the guest unmapped, which faults again (a retry loop, no halt). The
 * reason word is read and written through the cache of the last successful enable (RFCv2
 * kvm_async_pf_update_enable_reg()'s kvm_gfn_to_hva_cache_init(); arches/arm64/control-block.ts).
 */
type V = KvmVcpu<DabtVcpuState>;

/** Is the PC inside [VBAR_EL1, VBAR_EL1 + no_fault_inst_range)? Outside exception code it is not. */
function pcInRange(vcpu: V): boolean {
  const pc = vcpu.cpu.pc;
  return pc !== null && pc >= 0 && BigInt(pc) < vcpu.state.noFaultInstRange;
}

/** kvm_arch_can_inject_async_page_not_present() */
export function canInjectNotPresent(vcpu: V): Verdict {
  const s = vcpu.state;
  if (!s.enabled) return no('apf-disabled');
  if (s.sendUserOnly && vcpu.cpu.privilege === 'kernel') return no('kernel-mode');
  // "Pending page fault, which ins't acknowledged by guest": the reason word is still set.
  if (hostReason(s) !== 0) return no('signal-pending');
  // "Events can't be injected through data abort because it's going to clobber ELR_EL1".
  if (pcInRange(vcpu)) return no('in-vector-range');
  return YES;
}

/**
 * kvm_arch_can_inject_async_page_present(), the condition of kvm_check_async_pf_completion()'s
 * loop: page-ready goes "no matter which privilege level" ("performance critical"), under the
 * same one-signal and PC-range rules; with APF off it is yes. A refusal keeps the request up, so
 * the next entry tries again (the loop runs on every entry in RFCv2's kvm_arch_vcpu_ioctl_run()).
 */
export function canInjectPresent(vcpu: V): Verdict {
  const s = vcpu.state;
  let verdict: Verdict = YES;
  if (s.enabled && hostReason(s) !== 0) verdict = no('signal-pending');
  else if (s.enabled && pcInRange(vcpu)) verdict = no('in-vector-range');
  if (!verdict.ok) vcpu.requestApfReady();
  return verdict;
}

/**
 * kvm_arch_vcpu_runnable()'s async-PF terms in both RFCs (RFCv2 7/9, RFCv1 6/7: virt/kvm/arm/arm.c):
 * with APF enabled, a completion on the done list, or a reason word that reads non-zero (or cannot
 * be read: `ret || val`), makes the vCPU runnable, so a WFI returns at once instead of blocking.
 */
export function vcpuRunnable(vcpu: V): boolean {
  const s = vcpu.state;
  return s.enabled && (vcpu.doneHead !== null || hostReason(s) !== 0);
}

/** kvm_arch_setup_async_pf(): `(apf.id++ << 16) | vcpu_id`, a u16 id. */
export function setupAsyncPf(vcpu: V, gfn: number): { token: number; arch: { gfn: number } } {
  return { token: allocToken(vcpu.state, ARM64_RFC_TOKEN), arch: { gfn } };
}

/**
 * Write the reason, then inject a data abort as inject_abt64() does: ELR/SPSR from the
 * interrupted context, FAR = the token, ESR = DABT from a lower or the current EL with the
 * design's FSC, PC = the synchronous vector (facts/arm64.md §6).
 */
export function injectApfAbort(vcpu: V, token: number, reason: number, fsc: number, handler: () => void): boolean {
  const s = vcpu.state;
  if (!hostWriteReason(s, reason)) return false; // kvm_write_guest_cached() fails: no signal
  const ec = vcpu.cpu.privilege === 'user' ? ESR_ELX_EC_DABT_LOW : ESR_ELX_EC_DABT_CUR;
  s.regs.far = token;
  s.regs.esr = ((ec << 26) | (1 << 25) | fsc) >>> 0;
  const ready = reason === KVM_PV_REASON_PAGE_READY;
  vcpu.injectEvent({
    name: `DABT (FSC 0x${fsc.toString(16)}, page ${ready ? 'ready' : 'not present'})`,
    token,
    signal: ready ? 'ready' : 'not-present',
    exception: 'sync',
    handler,
  });
  return true;
}

/** kvm_arch_async_page_not_present(): reason 1 and the abort. */
export function asyncPageNotPresent(vcpu: V, work: AsyncPfWork, fsc: number, handler: () => void): boolean {
  return injectApfAbort(vcpu, work.token, KVM_PV_REASON_PAGE_NOT_PRESENT, fsc, handler);
}

/** kvm_arch_async_page_present(): reason 2 and the abort, with ~0 for a wake-all. */
export function asyncPagePresent(vcpu: V, work: AsyncPfWork, fsc: number, handler: () => void): boolean {
  if (!vcpu.state.enabled) return false;
  return injectApfAbort(vcpu, work.wakeupAll ? WAKE_ALL_TOKEN : work.token, KVM_PV_REASON_PAGE_READY, fsc, handler);
}

/**
 * A completion was queued. RFCv2 was written against v5.7, where async_pf_execute() only woke a
 * vCPU blocked in the host: kvm_arch_async_page_present_queued() and its kick came later with
 * Vitaly Kuznetsov's interrupt-based page-ready (facts/arm64.md §8). A running vCPU sees the
 * completion at its next exit, whatever caused it.
 */
export function asyncPagePresentQueued(vcpu: V): void {
  vcpu.requestApfReady();
  vcpu.wakeUp();
}

/**
 * kvm_async_pf_update_enable_reg(): the same state → NOT_REQUIRED; enabling needs the control
 * block's reason word in guest memory (else NOT_SUPPORTED), takes SEND_ALWAYS and queues a
 * wake-all; disabling drops the completion queue.
 */
export function updateEnableReg(vcpu: V, val: bigint, guestMemoryBytes: number): bigint {
  const s = vcpu.state;
  const enable = (val & KVM_ASYNC_PF_ENABLED) !== 0n;
  if (enable === s.enabled) return SMCCC_RET_NOT_REQUIRED;
  if (enable) {
    const gpa = val & CONTROL_GPA_MASK;
    if (gpa + 4n > BigInt(guestMemoryBytes)) return SMCCC_RET_NOT_SUPPORTED;
    s.areaGpa = gpa;
    s.sendUserOnly = (val & KVM_ASYNC_PF_SEND_ALWAYS) === 0n;
    vcpu.wakeupAll();
  } else {
    vcpu.clearCompletionQueue();
  }
  s.controlBlock = val;
  s.enabled = enable;
  return SMCCC_RET_SUCCESS;
}

const U64 = (1n << 64n) - 1n;

/**
 * kvm_async_pf_hypercall() (RFCv2): `data = (arg2 << 32) | arg1`; bits 63:56 pick the operation.
 * BIT(63) enables or disables; BIT(62) raises no_fault_inst_range to max(old, new), only while
 * disabled (else NOT_SUPPORTED); anything else is "Unrecognized function": NOT_SUPPORTED.
 */
export function apfHypercall(vcpu: V, args: readonly bigint[], guestMemoryBytes: number): GuestCallResult {
  const s = vcpu.state;
  if (!s.offered) return { kind: 'ok', regs: [SMCCC_RET_NOT_SUPPORTED] };
  const data = ((((args[1] ?? 0n) & U64) << 32n) | ((args[0] ?? 0n) & U64)) & U64;
  const op = data & APF_OP_MASK;
  const val = data & ~APF_OP_MASK & U64;
  let r = SMCCC_RET_NOT_SUPPORTED;
  if (op === APF_OP_ENABLE) r = updateEnableReg(vcpu, val, guestMemoryBytes);
  else if (op === APF_OP_RANGE && !s.enabled) {
    if (val > s.noFaultInstRange) s.noFaultInstRange = val;
    r = SMCCC_RET_SUCCESS;
  }
  return { kind: 'ok', regs: [r] };
}
