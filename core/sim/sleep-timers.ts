import type { EventQueue } from '../engine/event-queue.js';
import { EV_TIMER, EV_VM_EVENT } from './events.js';

/**
 * The guest tasks' sleep timers (nanosleep() → an hrtimer, kernel/time/hrtimer.c) on the event
 * queue, counted: the drain waits for faults, their I/O and wakes, not for a task asleep on a
 * timer (one it fired would only wake a task for pickNext() to retire), so it must know when
 * nothing but these is left. The scenario's VM events (a migration) are counted with them: the
 * drain starts nothing new, so it does not wait for those either.
 */
export class SleepTimers {
  private queued = 0;

  constructor(private readonly queue: EventQueue) {}

  start(taskId: number, t: number): void {
    this.queued++;
    this.queue.push(t, EV_TIMER, taskId, 0);
  }

  /** The scenario's VM events, each at its time (a = its index in scenario.events). */
  startVmEvents(atNs: readonly number[]): void {
    atNs.forEach((t, i) => this.queue.push(t, EV_VM_EVENT, i, 0));
    this.queued += atNs.length;
  }

  /** A VM event popped while draining is dropped, not run: counted out, and true. */
  drop(): true {
    this.fired();
    return true;
  }

  /** A sleep timer or a VM event left the queue. */
  fired(): void {
    this.queued--;
  }

  /** Nothing but sleep timers, VM events and `stale` cancelled events is queued. */
  onlyLeft(stale: number): boolean {
    return this.queue.size === this.queued + stale;
  }
}
