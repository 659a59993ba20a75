/**
 * The x86 PV async-PF ABI (facts/x86.md §1 "Constants and ABI"; UAPI arch/x86/include/uapi/asm/kvm_para.h).
 */
export const MSR_KVM_ASYNC_PF_EN = 0x4b564d02;
export const MSR_KVM_ASYNC_PF_INT = 0x4b564d06;
export const MSR_KVM_ASYNC_PF_ACK = 0x4b564d07;
/** x2APIC EOI register, written by the guest's IRQ handler (an exit without APIC virtualisation). */
export const MSR_X2APIC_EOI = 0x80b;

export const KVM_ASYNC_PF_ENABLED = 1n << 0n;
export const KVM_ASYNC_PF_SEND_ALWAYS = 1n << 1n;
export const KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT = 1n << 2n;
export const KVM_ASYNC_PF_DELIVERY_AS_INT = 1n << 3n;
/** Reserved EN bits today: 5:4 (facts/x86.md §1 "Reserved-bit mask … over time": 0x30). */
export const ASYNC_PF_EN_RESERVED = 0x30n;
/** The area GPA is `data & ~0x3f`: a 64-byte aligned, 64-byte area. */
export const ASYNC_PF_EN_GPA_MASK = ~0x3fn;
/** INT: bits 7:0 are the vector, 63:8 reserved. */
export const KVM_ASYNC_PF_VEC_MASK = 0xffn;

/** CPUID 0x40000001 EAX feature bits. */
export const KVM_FEATURE_ASYNC_PF = 4;
export const KVM_FEATURE_ASYNC_PF_VMEXIT = 10;
export const KVM_FEATURE_ASYNC_PF_INT = 14;

export const KVM_PV_REASON_PAGE_NOT_PRESENT = 1;
export const KVM_PV_REASON_PAGE_READY = 2;

/** ASYNC_PF_PER_VCPU (arch/x86/include/asm/kvm_host.h; facts/x86.md §1 "Other constants"). */
export const ASYNC_PF_PER_VCPU = 64;

/** Not-present is a #PF: vector 14, error code 0, CR2 = token. */
export const PF_VECTOR = 14;

/**
 * The page-ready vector. The posted series (RFC, v1, v2) used 0xec; merged Linux guests
 * program HYPERVISOR_CALLBACK_VECTOR = 0xf3 (facts/x86.md §1 "0xec was used only in postings").
 */
export const LAB_DEFAULT_APF_VECTOR = 0xec;
export const LINUX_APF_VECTOR = 0xf3;

/**
 * KVM hypercall error, negated in rax (include/uapi/linux/kvm_para.h): kvm_emulate_hypercall()
 * answers an nr it does not implement with -KVM_ENOSYS; a VMCALL from CPL0 is never #UD.
 */
export const KVM_ENOSYS = 1000n;

/** Broadcast "wake up all" token. */
export const WAKE_ALL_TOKEN = 0xffffffff;

/**
 * CALL_FUNCTION_SINGLE_VECTOR (arch/x86/include/asm/irq_vectors.h): the vector
 * smp_call_function_single() sends on (native_send_call_func_single_ipi()).
 */
export const CALL_FUNCTION_SINGLE_VECTOR = 0xfb;
