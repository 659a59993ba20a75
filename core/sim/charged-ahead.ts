import { addTime, type TimeCategory } from '../metrics.js';

/**
 * vCPU time charged past the engine's clock, kept while a scenario's `until` may still end the
 * measured window early.
 *
 * Why: a vCPU's cursor runs ahead of the clock (an exit and its host work are charged whole, from
 * the cursor, inside the event that caused them), and each charge is clipped to the window's end as
 * it stood then. When the last `until` task exits, the window ends there, at or after the clock
 * but possibly before what other vCPUs have already charged; that part is taken back, so that the
 * time categories still add up to vCPUs × the window. Segments of guest execution need nothing:
 * they are credited when they end or are cut, never past the clock.
 */
export class ChargedAhead {
  private cats: TimeCategory[] = [];
  private from: number[] = [];
  private to: number[] = [];
  /** Entries kept before the next prune: charges that ended by the clock can be dropped. */
  private limit = 1024;

  /** A charge of [from, to) made at engine time `now`. */
  record(cat: TimeCategory, from: number, to: number, now: number): void {
    if (to <= now) return;
    if (this.to.length >= this.limit) this.prune(now);
    this.cats.push(cat);
    this.from.push(from);
    this.to.push(to);
  }

  /** The window ends at `end` instead of `oldEnd`: take back from `time` what was counted of [end, oldEnd). */
  takeBack(time: Record<TimeCategory, number>, end: number, oldEnd: number): void {
    for (let i = 0; i < this.to.length; i++) {
      const lo = Math.max(this.from[i], end);
      const hi = Math.min(this.to[i], oldEnd);
      if (hi > lo) addTime(time, this.cats[i], lo - hi);
    }
    this.cats = [];
    this.from = [];
    this.to = [];
  }

  private prune(now: number): void {
    let n = 0;
    for (let i = 0; i < this.to.length; i++) {
      if (this.to[i] <= now) continue;
      this.cats[n] = this.cats[i];
      this.from[n] = this.from[i];
      this.to[n] = this.to[i];
      n++;
    }
    this.cats.length = n;
    this.from.length = n;
    this.to.length = n;
    // Many vCPUs each ahead of the clock: room for twice what is live, so a prune is amortised.
    this.limit = Math.max(1024, 2 * n);
  }
}
