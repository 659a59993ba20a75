import type { Backend } from '../../core/backend.js';

/**
 * The vGIC's EOI maintenance interrupt. KVM puts every level-configured interrupt that is not
 * mapped to a hardware one in a list register with ICH_LR_EOI set, so that it can resample the
 * line (arch/arm64/kvm/vgic/vgic-v3.c vgic_v3_populate_lr(); "Clear soft pending state when level
 * irqs have been acked", vgic_v3_fold_lr_state()). The guest's EOI of it then raises the GIC
 * maintenance interrupt, which only makes the vCPU exit (vgic-init.c vgic_maintenance_handler());
 * on the way back in, KVM acts on its requests — a page-ready waiting for the control block.
 *
 * The async-PF PPI is such an interrupt: v4's guest maps it LEVEL_SENSITIVE (facts/arm64.md §1
 * v2–v4, acpi_register_gsi()) and the host drives it in software (kvm_vgic_inject_irq()). The
 * reschedule and call-function SGIs are edge-triggered and the virtual timer is a hardware-mapped
 * interrupt, so their EOIs do not exit.
 *
 * Priced as the minimal round trip (`exitCycles`, as WFx): no measurement of this exit was found,
 * and the host's handler does nothing.
 */
export const VGIC_MAINTENANCE_EXIT = 'IRQ (vGIC maintenance)';

export function vgicEoiExit(knobs: Readonly<Record<string, number>>): Backend['caps']['eoiExit'] {
  // The arch timer's PPI is hardware-mapped: its deactivation does not exit.
  return { lines: [knobs.ppi], tick: false, exit: { name: VGIC_MAINTENANCE_EXIT, kind: 'trap' }, whenPending: false };
}
