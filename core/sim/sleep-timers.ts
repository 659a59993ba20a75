import type { EventQueue } from '../engine/event-queue.js';
import { EV_TIMER } from './events.js';

/**
 * The guest tasks' sleep timers (nanosleep() → an hrtimer, kernel/time/hrtimer.c) on the event
 * queue, counted: the drain waits for faults, their I/O and wakes, not for a task asleep on a
 * timer (one it fired would only wake a task for pickNext() to retire), so it must know when
 * nothing but these is left.
 */
export class SleepTimers {
  private queued = 0;

  constructor(private readonly queue: EventQueue) {}

  start(taskId: number, t: number): void {
    this.queued++;
    this.queue.push(t, EV_TIMER, taskId, 0);
  }

  fired(): void {
    this.queued--;
  }

  /** Nothing but sleep timers is queued, and `others` more events the drain does not wait for either. */
  onlyLeft(others = 0): boolean {
    return this.queue.size === this.queued + others;
  }
}
