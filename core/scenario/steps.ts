import type { Step } from './schema.js';

/** An `irqoff` or `preemptoff` step's section: kernel code the scheduler cannot take the vCPU from. */
export function sectionOf(step: Step) {
  return 'irqoff' in step ? step.irqoff : 'preemptoff' in step ? step.preemptoff : null;
}

/** The pages a step touches and where, or null for a step that touches none. */
export function touchOf(step: Step): { region: string; pages: number; pattern: string } | null {
  if ('touch' in step) return step.touch;
  if ('syscall' in step) return step.syscall;
  return sectionOf(step)?.touch ?? null;
}
