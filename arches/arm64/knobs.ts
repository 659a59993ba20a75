import { BadInputError } from '../../core/errors.js';
import { KVM_SDEI_ASYNC_PF_NUM, LAB_DEFAULT_APF_PPI, PPI_MAX, PPI_MIN } from './constants.js';

/** The knobs a scenario sets under `arch.arm64` for every arm64 variant, with their defaults. */
export const ARM64_SDEI_KNOBS = {
  /** The SDEI event number the VMM sets per vCPU (KVM_ARM_ASYNC_PF_CMD_SET_SDEI; 0 = unset). */
  sdeiEvent: KVM_SDEI_ASYNC_PF_NUM,
  /** The page-ready PPI INTID the VMM sets per vCPU (16–31; 0 = unset). */
  ppi: LAB_DEFAULT_APF_PPI,
  /** The VMM enabled the async-PF capability (vcpu->arch.apf allocated). */
  apfCapability: 1,
  irqchipInKernel: 1,
  /**
   * How often, in percent, the re-executed instruction's stage-2 fault is taken before a pending
   * PPI (DDI0487F.a D1.13.4 leaves the order undefined; James Morse 2020-10-23). No measurement
   * exists: 0 by default (the interrupt first, the hazard still counted); raise it to see the cost.
   */
  d1134FaultFirstPercent: 0,
  /**
   * The data-abort designs' guest enables with KVM_ASYNC_PF_SEND_ALWAYS (arm64-dabt, arm64-impdef;
   * a FIXME in both postings, so 0: kernel-mode faults stay synchronous). Other designs ignore it.
   */
  rfcSendAlways: 0,
};

/**
 * The PPIs KVM's timers take by default (arch/arm64/kvm/arch_timer.c default_ppi: physical 30,
 * virtual 27, EL2 physical 26, EL2 virtual 28). Each is given its timer as owner
 * (kvm_vgic_set_owner()), and vgic_validate_injection() refuses an injection by anyone else, so a
 * VMM cannot use one for async PF.
 */
const TIMER_PPIS: readonly number[] = [26, 27, 28, 30];

/**
 * The arm64 knobs every arm64 variant (and the arm64 baseline) accepts, checked the same way
 * whichever variant runs: the SDEI event number is a u32 the VMM sets (0 = unset), the PPI an
 * INTID 16–31 (0 = unset; facts/arm64.md §5), the capability flags 0 or 1.
 */
export function checkArm64Knobs(knobs: Readonly<Record<string, number>>): void {
  const bad = (name: string, why: string) => new BadInputError(`scenario arch.arm64.${name}: ${knobs[name]} ${why}`);
  const ev = knobs.sdeiEvent;
  if (!Number.isInteger(ev) || ev < 0 || ev > 0xffffffff) throw bad('sdeiEvent', 'is not an SDEI event number (a u32; 0 = unset)');
  const ppi = knobs.ppi;
  if (ppi !== 0 && (!Number.isInteger(ppi) || ppi < PPI_MIN || ppi > PPI_MAX)) throw bad('ppi', 'is not a PPI INTID (16–31; 0 = unset)');
  if (TIMER_PPIS.includes(ppi)) throw bad('ppi', `is a timer's (${TIMER_PPIS.join(', ')}: KVM's default timer INTIDs, owned by the timer, so an injection there is refused)`);
  for (const name of ['apfCapability', 'irqchipInKernel', 'rfcSendAlways']) {
    if (knobs[name] !== 0 && knobs[name] !== 1) throw bad(name, 'is not 0 or 1');
  }
  knobShare(knobs.d1134FaultFirstPercent);
}

/** A percent knob as a share, refused outside 0–100 (bad input, exit 1). */
export function knobShare(percent: number): number {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new BadInputError(`scenario arch.arm64.d1134FaultFirstPercent: ${percent} is not a percentage (0–100)`);
  }
  return percent / 100;
}
