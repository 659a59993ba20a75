/**
 * The least a cross-call step takes that sends no IPI (run in place, or refused with -ENXIO), ns.
 * Model assumption, no measurement of the call's own path: the kernel work a step stands for (a
 * TLB shootdown from munmap(), a write to a sysfs file) enters the kernel at least once, and the
 * fastest kernel round trip facts/ gives is a null system call, ~0.10 µs (facts/anchors.md §A6a,
 * lmbench `lat_syscall null`). A 1 ns floor made a loop of refused calls one event per simulated ns.
 */
export const CALL_FLOOR_NS = 100;

/**
 * One smp_call_function_single(…, wait=1) in flight: its call_single_data (kernel/smp.c). The
 * sender queues it on the target's call_single_queue, sends the call-function IPI, and spins in
 * csd_lock_wait() until the target's handler has run the function and unlocked it.
 */
export interface CallSingleData {
  readonly id: number;
  /** The sending vCPU and task. */
  readonly from: number;
  readonly task: number;
  readonly target: number;
  /** Guest kernel time the target spends in the function. */
  readonly handlerNs: number;
  /** When the sender started the call (before its send exit). */
  readonly sentAt: number;
  /** When the target unlocked it (csd_unlock()); -1 while the sender waits. */
  doneAt: number;
}
