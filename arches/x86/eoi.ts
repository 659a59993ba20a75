import type { Backend } from '../../core/backend.js';
import { CALL_FUNCTION_SINGLE_VECTOR } from './constants.js';

/**
 * The EOIs that exit on x86: without APICv (virtual-interrupt delivery) and without PV EOI, the
 * guest's x2APIC EOI write (MSR 0x80b) traps to KVM for every interrupt it ends — the timer tick
 * and the call-function IPI here; the async-PF vector's EOI is its handler's own write
 * (arches/x86/guest.ts sysvecKvmAsyncpfInterrupt()). With APICv the write is virtualised; with PV
 * EOI (kvm_guest_apic_eoi_write()) the guest clears a flag in memory instead (arch/x86/kvm/lapic.c
 * pv_eoi_*). Not modelled: KVM leaves PV EOI unarmed while another interrupt waits in the IRR
 * (apic_sync_pv_eoi_to_guest()), where that EOI exits too.
 */
export function x86EoiExit(knobs: Readonly<Record<string, number>>): Backend['caps']['eoiExit'] {
  if (knobs.apicv !== 0 || knobs.pvEoi !== 0) return null;
  return { lines: [CALL_FUNCTION_SINGLE_VECTOR], tick: true, exit: { name: 'MSR_WRITE(X2APIC_EOI)', kind: 'hypercall' } };
}
