/**
 * The guest memory the x86 PV async-PF areas live in (arches/guest-memory.ts): one store per VM,
 * shared by its vCPUs; a vCPU whose MSR_KVM_ASYNC_PF_EN names another CPU's `apf_reason` has its
 * host write into that CPU's area.
 *
 * Host and guest reach an area by different addresses, and they are one area only while the
 * guest's last successful enable named its own:
 * - the host through its gfn→hva cache of the last successful enable, vcpu->arch.apf.data
 *   (arch/x86/kvm/x86.c kvm_pv_enable_async_pf(); the lab's `areaGpa`);
 * - the guest through its per-CPU `apf_reason`, at the address kvm_guest_cpu_init() put in EN
 *   (arch/x86/kernel/kvm.c; `this_cpu_read(apf_reason.…)` never looks at the MSR).
 *
 * Lab assumption: a word nobody wrote reads 0, including the real-mode IVT at GPA 0.
 */
export { ApfGuestMemory } from '../guest-memory.js';

/** struct kvm_vcpu_pv_apf_data (5.8+, UAPI kvm_para.h): `u32 flags` @0, `u32 token` @4 (facts/x86.md §1). */
export const APF_DATA_FLAGS = 0n;
export const APF_DATA_TOKEN = 4n;
