import type { IpiCaps } from '../../core/backend.js';
import { CALL_FUNCTION_SINGLE_VECTOR } from './constants.js';

/**
 * smp_call_function_single() in an x86 guest: native_send_call_func_single_ipi() writes the
 * x2APIC ICR for CALL_FUNCTION_SINGLE_VECTOR; the PV send-IPI hypercall replaces only the mask
 * variants (arch/x86/kernel/kvm.c kvm_setup_pv_ipi()), so a single-target IPI is an ICR write
 * either way. Without IPI virtualisation (Sapphire Rapids and later, KVM's enable_ipiv) that
 * write exits: priced as a trapped register write, which is a model assumption (facts/anchors.md
 * §A6a prices a whole virtual IPI at 3,102 cycles on KVM x86). With APICv the IPI is posted to a
 * running target without an exit; without it KVM kicks the target (`apicv` knob, 1 by default).
 *
 * The same knob decides what an interrupt waiting on IF=0 costs. Without APICv, every entry that
 * finds one it cannot inject asks for an interrupt-window exit (arch/x86/kvm/x86.c
 * kvm_check_and_inject_events(): kvm_cpu_has_injectable_intr() → enable_irq_window()), taken
 * when the guest sets IF again and handled by doing nothing but re-entering (vmx.c
 * handle_interrupt_window()): a trapped exit. With APICv, kvm_cpu_has_injectable_intr() is false
 * for the local APIC's interrupts (irq.c): the CPU's virtual-interrupt delivery takes it at the
 * unmask without an exit.
 */
export function x86IpiCaps(knobs: Readonly<Record<string, number>>): IpiCaps {
  return {
    line: CALL_FUNCTION_SINGLE_VECTOR,
    sendExit: { name: 'MSR_WRITE(X2APIC_ICR)', kind: 'trap' },
    kickRunningTarget: knobs.apicv === 0,
    irqWindowExit: knobs.apicv === 0 ? { name: 'INTERRUPT_WINDOW', kind: 'trap' } : null,
  };
}
