import type { EventQueue } from '../engine/event-queue.js';
import { EV_STEP } from './events.js';
import type { SleepTimers } from './sleep-timers.js';
import type { Vcpu } from './vcpu.js';

/**
 * What the engine's queue holds that is no work left, so that a drain ends when nothing but it
 * remains: sleep timers and VM events (core/sim/sleep-timers.ts), STEPs cancelled while queued
 * (lazy deletion: the first may lie far ahead, the end of a compute step the drain retired), and
 * the drain's last ticks, which are not re-armed.
 */
export class NotWork {
  /** STEP events cancelled while queued (drop()): still in the queue until popped. */
  private staleSteps = 0;
  /** Ticks still queued once the drain began (beginDrain()). */
  private drainTicks = 0;

  constructor(
    private readonly queue: EventQueue,
    private readonly timers: SleepTimers,
  ) {}

  /** The vCPU's next STEP at `t`; one queued before becomes stale. */
  schedule(v: Vcpu, t: number): void {
    this.drop(v);
    this.queue.push(t, EV_STEP, v.id, v.epoch);
    v.stepQueued = true;
  }

  /** Cancel the vCPU's queued STEP, if any. */
  drop(v: Vcpu): void {
    if (v.stepQueued) this.staleSteps++;
    v.stepQueued = false;
    v.epoch++;
  }

  /** A STEP popped: true where it is the vCPU's live one. */
  popStep(v: Vcpu, epoch: number): boolean {
    if (epoch !== v.epoch) {
      this.staleSteps--;
      return false;
    }
    v.stepQueued = false;
    return true;
  }

  /** The drain begins with `ticks` queued: each vCPU's guest tick, and its host tick where it has one. */
  beginDrain(ticks: number): void {
    this.drainTicks = ticks;
  }

  /** A guest or host tick popped during the drain. */
  tickPopped(): void {
    this.drainTicks--;
  }

  /**
   * Nothing queued but what is no work. The drain's last ticks count as none only where
   * `ticksIdle`: no completion waits on a done list for an exit, which a tick may be (a design
   * that does not kick: the 2010 x86 host, RFCv2). A 10 ms tick at HZ 100 kept a drain with
   * nothing outstanding to its cap.
   */
  onlyLeft(draining: boolean, ticksIdle: () => boolean): boolean {
    if (this.timers.onlyLeft(this.staleSteps)) return true;
    return draining && this.timers.onlyLeft(this.staleSteps + this.drainTicks) && ticksIdle();
  }
}
