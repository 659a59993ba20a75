import type { TimeCategory } from '../metrics.js';
import type { Scenario } from '../scenario/schema.js';
import { ChargedAhead } from './charged-ahead.js';

/**
 * The measured window a scenario's `until` ends: when the last of its tasks exits. The tasks are
 * counted down as they exit (not searched at each exit), and the vCPU time charged past the clock
 * meanwhile is kept (core/sim/charged-ahead.ts), so that what lies past the new end is taken back.
 */
export class UntilWindow {
  readonly ahead = new ChargedAhead();
  private left: number;

  private constructor(
    private readonly groups: readonly string[],
    count: number,
  ) {
    this.left = count;
  }

  /** The scenario's window, or null without `until`; a job set counts once (it is done when its last process exits). */
  static of(scenario: Scenario): UntilWindow | null {
    const until = scenario.until;
    const count = until ? scenario.tasks.filter((t) => until.tasks.includes(t.name)).reduce((n, t) => n + (t.jobs ? 1 : t.count), 0) : 0;
    return until && count > 0 ? new UntilWindow(until.tasks, count) : null;
  }

  /**
   * A task of `group` exited at `t`: the window's new end when it was the last `until` task (what
   * was counted of `time` past it taken back), else null.
   */
  exited(group: string, t: number, measureEnd: number, time: Record<TimeCategory, number>): number | null {
    if (!this.groups.includes(group) || --this.left > 0) return null;
    const end = Math.min(t, measureEnd);
    this.ahead.takeBack(time, end, measureEnd);
    return end;
  }
}
