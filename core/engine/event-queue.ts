/**
 * A binary min-heap of simulation events kept in parallel typed arrays.
 *
 * Events are ordered by (time, insertion sequence) so that two events at the same
 * nanosecond always fire in the order they were scheduled, never in hash or heap order
 * (DESIGN.md, "Engine"). Payload is three integers: the event kind and two arguments;
 * the simulator interprets them. Typed arrays keep a long run free of per-event garbage.
 */
export class EventQueue {
  private time: Float64Array;
  private seq: Float64Array;
  private kind: Int32Array;
  private argA: Int32Array;
  private argB: Int32Array;
  private count = 0;
  private nextSeq = 0;

  constructor(capacity = 1024) {
    this.time = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.kind = new Int32Array(capacity);
    this.argA = new Int32Array(capacity);
    this.argB = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(time: number, kind: number, a: number, b: number): void {
    if (!Number.isSafeInteger(time) || time < 0) {
      throw new RangeError(`EventQueue.push: time must be a non-negative integer of nanoseconds, got ${time}`);
    }
    if (this.count === this.time.length) this.grow();
    let i = this.count++;
    const s = this.nextSeq++;
    // Sift up, moving parents down until the slot for the new event is found.
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(time, s, this.time[p], this.seq[p])) break;
      this.copy(p, i);
      i = p;
    }
    this.set(i, time, s, kind, a, b);
  }

  /** Time of the earliest event; only valid while size > 0. */
  peekTime(): number {
    return this.time[0];
  }

  /** Removes the earliest event and writes it into `out`. */
  pop(out: PoppedEvent): void {
    if (this.count === 0) throw new RangeError('EventQueue.pop: queue is empty');
    out.time = this.time[0];
    out.kind = this.kind[0];
    out.a = this.argA[0];
    out.b = this.argB[0];
    const last = --this.count;
    if (last === 0) return;
    const t = this.time[last];
    const s = this.seq[last];
    const k = this.kind[last];
    const a = this.argA[last];
    const b = this.argB[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.before(this.time[r], this.seq[r], this.time[l], this.seq[l]) ? r : l;
      if (!this.before(this.time[c], this.seq[c], t, s)) break;
      this.copy(c, i);
      i = c;
    }
    this.set(i, t, s, k, a, b);
  }

  private before(t1: number, s1: number, t2: number, s2: number): boolean {
    return t1 < t2 || (t1 === t2 && s1 < s2);
  }

  private copy(from: number, to: number): void {
    this.time[to] = this.time[from];
    this.seq[to] = this.seq[from];
    this.kind[to] = this.kind[from];
    this.argA[to] = this.argA[from];
    this.argB[to] = this.argB[from];
  }

  private set(i: number, t: number, s: number, k: number, a: number, b: number): void {
    this.time[i] = t;
    this.seq[i] = s;
    this.kind[i] = k;
    this.argA[i] = a;
    this.argB[i] = b;
  }

  private grow(): void {
    const n = this.time.length * 2;
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.time = grow(this.time, (k) => new Float64Array(k));
    this.seq = grow(this.seq, (k) => new Float64Array(k));
    this.kind = grow(this.kind, (k) => new Int32Array(k));
    this.argA = grow(this.argA, (k) => new Int32Array(k));
    this.argB = grow(this.argB, (k) => new Int32Array(k));
  }
}

export interface PoppedEvent {
  time: number;
  kind: number;
  a: number;
  b: number;
}
