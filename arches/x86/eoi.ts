import type { Backend } from '../../core/backend.js';
import { CALL_FUNCTION_SINGLE_VECTOR } from './constants.js';

/**
 * The EOIs that exit on x86: without APICv (virtual-interrupt delivery) the guest's x2APIC EOI
 * write (MSR 0x80b) traps to KVM for every interrupt it ends — the timer tick and the call-function
 * IPI here; the async-PF vector's EOI is its handler's own write (arches/x86/guest.ts
 * sysvecKvmAsyncpfInterrupt()). With APICv the write is virtualised. With PV EOI
 * (kvm_guest_apic_eoi_write()) the guest clears a flag in memory instead, but only where KVM armed
 * it at entry, which it does only with nothing else in the IRR (arch/x86/kvm/lapic.c
 * apic_sync_pv_eoi_to_guest(): "IRR set or many bits in ISR: could be nested"): an EOI with
 * another interrupt pending exits all the same.
 */
export function x86EoiExit(knobs: Readonly<Record<string, number>>): Backend['caps']['eoiExit'] {
  if (knobs.apicv !== 0) return null;
  return { lines: [CALL_FUNCTION_SINGLE_VECTOR], tick: true, exit: { name: 'MSR_WRITE(X2APIC_EOI)', kind: 'hypercall' }, whenPending: knobs.pvEoi !== 0 };
}

/** How the async-PF handler's own EOI goes (X86GuestConfig.eoi): as x86EoiExit() has the others. */
export function x86GuestEoi(knobs: Readonly<Record<string, number>>): 'virtualised' | 'pv-eoi' | 'exits' {
  return knobs.apicv !== 0 ? 'virtualised' : knobs.pvEoi !== 0 ? 'pv-eoi' : 'exits';
}
