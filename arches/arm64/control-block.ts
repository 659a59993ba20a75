import { ApfGuestMemory } from '../guest-memory.js';

/**
 * Where the two halves reach the arm64 async-PF control block, in one guest memory per VM shared
 * by its vCPUs (arches/guest-memory.ts). They are one block only while the guest's last successful
 * enable named its own:
 * - the host through `apf->cache`, the gfn→hva cache its last successful enable set up (v4:
 *   kvm_arch_async_enable()'s kvm_gfn_to_hva_cache_init(), then read_cache()/write_cache() in
 *   gwshan/linux arch/arm64/kvm/async_pf.c; RFCv1/RFCv2: kvm_async_pf_update_enable_reg()); the
 *   lab's `areaGpa`;
 * - the guest through its per-CPU `apf_data`, at the address its init put in the enable
 *   (gwshan/linux arch/arm64/kernel/kvm.c kvm_async_pf_enable(): `virt_to_phys(this_cpu_ptr(&apf_data))`;
 *   its handlers `__this_cpu_read(apf_data.reason)` and never ask the host where it writes).
 *
 * Layout (facts/arm64.md §1): v1–v4 `{u32 reason @0; u32 token @4; u8 pad[56]; u32 enabled}`,
 * RFCv1/RFCv2 `{u32 reason @0; u8 pad[60]; u32 enabled}` (token in FAR_EL1). The host's cache
 * covers reason and token only; `enabled` is the guest's own word, which the lab keeps in
 * `guest.enabled` rather than in memory.
 */
export const APF_DATA_REASON = 0;
export const APF_DATA_TOKEN = 4;

/** Where each CPU's `apf_data` (per-CPU, __aligned(64)) sits: CPU n's at APF_DATA_BASE + 64 n. */
export const APF_DATA_BASE = 0x100000n;

/** Where a vCPU's state sits in its VM: the VM's guest memory and the GPA of this CPU's `apf_data`. */
export interface Arm64VmPlace {
  readonly memory: ApfGuestMemory;
  readonly apfDataGpa: bigint;
}

/** The places of one VM's vCPUs: one guest memory for all of them. */
export function vmPlaces(): (vcpuId: number) => Arm64VmPlace {
  const memory = new ApfGuestMemory();
  return (vcpuId) => ({ memory, apfDataGpa: APF_DATA_BASE + BigInt(vcpuId) * 64n });
}

/** What host and guest need of a vCPU state to reach a block. */
export interface BlockOwner {
  readonly memory: ApfGuestMemory;
  readonly areaGpa: bigint | null;
  readonly guest: { readonly apfDataGpa: bigint };
}

/** Where the host's cache points, as a number (-1: no successful enable, every access fails). */
function hostAt(s: BlockOwner): number {
  return s.areaGpa === null ? -1 : Number(s.areaGpa);
}

/**
 * v4's "pending page fault, which isn't acknowledged by guest": read_cache() of reason and token
 * finds either non-zero, or fails (kvm_arch_async_not_present_allowed(),
 * kvm_arch_can_dequeue_async_page_present()).
 */
export function hostBlockInUse(s: BlockOwner): boolean {
  const at = hostAt(s);
  return at < 0 || s.memory.readAt(at + APF_DATA_REASON) !== 0 || s.memory.readAt(at + APF_DATA_TOKEN) !== 0;
}

/** The host's read_cache() of `reason` (v4, and RFCv1/RFCv2 whose token travels in FAR_EL1); null where there is no cache. */
export function hostReason(s: BlockOwner): number | null {
  const at = hostAt(s);
  return at < 0 ? null : s.memory.readAt(at + APF_DATA_REASON);
}

/** The host's read_cache() of `token`; null where there is no cache. */
export function hostToken(s: BlockOwner): number | null {
  const at = hostAt(s);
  return at < 0 ? null : s.memory.readAt(at + APF_DATA_TOKEN);
}

/** The host's write_cache() of token, then reason (v4's order); false where there is no cache. */
export function hostWriteBlock(s: BlockOwner, token: number, reason: number): boolean {
  const at = hostAt(s);
  if (at < 0) return false;
  s.memory.writeAt(at + APF_DATA_TOKEN, token);
  s.memory.writeAt(at + APF_DATA_REASON, reason);
  return true;
}

/** RFCv1/RFCv2's host writes `reason` alone (kvm_write_guest_cached()); false where there is no cache. */
export function hostWriteReason(s: BlockOwner, reason: number): boolean {
  const at = hostAt(s);
  if (at < 0) return false;
  s.memory.writeAt(at + APF_DATA_REASON, reason);
  return true;
}

/** The guest's `__this_cpu_read(apf_data.reason)`: its own block, wherever the host writes. */
export function guestReason(s: BlockOwner): number {
  return s.memory.readAt(Number(s.guest.apfDataGpa) + APF_DATA_REASON);
}

/** The guest's `__this_cpu_read(apf_data.token)`. */
export function guestToken(s: BlockOwner): number {
  return s.memory.readAt(Number(s.guest.apfDataGpa) + APF_DATA_TOKEN);
}

/** The guest's `__this_cpu_write(apf_data.token, 0)`, then `.reason`, as its handlers clear it. */
export function guestClearBlock(s: BlockOwner): void {
  const at = Number(s.guest.apfDataGpa);
  s.memory.writeAt(at + APF_DATA_TOKEN, 0);
  s.memory.writeAt(at + APF_DATA_REASON, 0);
}

/** RFCv1/RFCv2's guest clears `apf_data.reason` alone. */
export function guestClearReason(s: BlockOwner): void {
  s.memory.writeAt(Number(s.guest.apfDataGpa) + APF_DATA_REASON, 0);
}
