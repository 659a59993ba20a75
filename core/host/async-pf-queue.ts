import type { AsyncPfWork } from '../backend.js';
import { IntMap } from '../engine/int-map.js';

/**
 * One vCPU's host-side async-PF bookkeeping (struct kvm_vcpu.async_pf plus the gfn table that
 * Gavin Shan's arm64 v2 made arch-neutral, facts/arm64.md §1 v2–v4): works queued and not yet
 * dequeued, the gfns they are for, and the done list in completion order.
 */
export class AsyncPfQueue {
  queued = 0;
  readonly gfns = new IntMap<AsyncPfWork>();
  readonly done: AsyncPfWork[] = [];
  /** Works on the backing store, by work id; cleared ones are dropped from here. */
  readonly inFlight = new IntMap<AsyncPfWork>();
  /**
   * Works dropped by a disable or reset whose read was still running: cancel_work_sync() waits for
   * each, so the vCPU thread that dropped them is blocked until the last is done.
   */
  readonly cancelling = new IntMap<AsyncPfWork>();
  /** A page-ready request is pending (KVM_REQ_APF_READY). */
  readyRequested = false;

  hasOutstandingToken(token: number): boolean {
    let found = false;
    this.inFlight.forEach((w) => {
      if (w.token === token) found = true;
    });
    return found || this.done.some((w) => w.token === token);
  }

  /**
   * kvm_clear_async_pf_completion_queue(): cancel queued works, free done items, queued = 0. With
   * `waitRunning`, the works still reading move to `cancelling` (their count is returned).
   */
  clear(waitRunning = false): number {
    if (waitRunning) this.inFlight.forEach((w) => this.cancelling.set(w.id, w));
    else this.cancelling.clear();
    this.inFlight.clear();
    this.done.length = 0;
    this.gfns.clear();
    this.queued = 0;
    return this.cancelling.size;
  }
}
