/**
 * The guest memory the x86 PV async-PF areas live in: the u32 words KVM and the guest write there,
 * keyed by GPA. One store per VM, shared by its vCPUs, as guest memory is: a vCPU whose
 * MSR_KVM_ASYNC_PF_EN names another CPU's `apf_reason` has its host write into that CPU's area.
 *
 * Host and guest reach an area by different addresses, and they are one area only while the
 * guest's last successful enable named its own:
 * - the host through its gfn→hva cache of the last successful enable, vcpu->arch.apf.data
 *   (arch/x86/kvm/x86.c kvm_pv_enable_async_pf(); the lab's `areaGpa`);
 * - the guest through its per-CPU `apf_reason`, at the address kvm_guest_cpu_init() put in EN
 *   (arch/x86/kernel/kvm.c; `this_cpu_read(apf_reason.…)` never looks at the MSR).
 *
 * Lab assumption: a word nobody wrote reads 0 (guest memory the APF protocol has not touched,
 * including the real-mode IVT at GPA 0, is taken to be zero).
 */
export class ApfGuestMemory {
  private readonly words = new Map<bigint, number>();

  read32(gpa: bigint): number {
    return this.words.get(gpa) ?? 0;
  }

  write32(gpa: bigint, value: number): void {
    if (value === 0) this.words.delete(gpa);
    else this.words.set(gpa, value >>> 0);
  }
}

/** struct kvm_vcpu_pv_apf_data (5.8+, UAPI kvm_para.h): `u32 flags` @0, `u32 token` @4 (facts/x86.md §1). */
export const APF_DATA_FLAGS = 0n;
export const APF_DATA_TOKEN = 4n;
