/**
 * A binary min-heap of simulation events kept in typed arrays.
 *
 * Events are ordered by (time, insertion sequence) so that two events at the same
 * nanosecond always fire in the order they were scheduled, never in hash or heap order
 * (DESIGN.md, "Engine"). Payload is three integers: the event kind and two arguments;
 * the simulator interprets them. Typed arrays keep a long run free of per-event garbage.
 *
 * The heap holds slot numbers; an event's fields stay in their slot while the heap moves one
 * integer per level, not five (a large machine keeps a thousand events pending). The time of the
 * event in each heap position is kept beside it, so that a comparison rarely reads a slot.
 *
 * In front of the heap sits one event: the earliest, when the last push was earlier than
 * everything queued. A vCPU's next step is nearly always that (its code runs on in steps of a
 * microsecond while ticks and reads are milliseconds away), so it is popped without passing
 * through the heap; the order is the same (time, sequence) order.
 */
export class EventQueue {
  /** By heap position: the event's slot, and its time. */
  private heap: Int32Array;
  private heapTime: Float64Array;
  /** By slot. */
  private seq: Float64Array;
  private kind: Int32Array;
  private argA: Int32Array;
  private argB: Int32Array;
  /** Slots not in use, as a stack. */
  private free: Int32Array;
  private freeCount: number;
  private count = 0;
  private nextSeq = 0;
  /** The front event, earlier than every event in the heap (or equal in time and queued before it). */
  private hasFront = false;
  private frontTime = 0;
  private frontSeq = 0;
  private frontKind = 0;
  private frontA = 0;
  private frontB = 0;

  constructor(capacity = 1024) {
    this.heap = new Int32Array(capacity);
    this.heapTime = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
    this.kind = new Int32Array(capacity);
    this.argA = new Int32Array(capacity);
    this.argB = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeCount = capacity;
  }

  get size(): number {
    return this.hasFront ? this.count + 1 : this.count;
  }

  push(time: number, kind: number, a: number, b: number): void {
    if (!Number.isSafeInteger(time) || time < 0) {
      throw new RangeError(`EventQueue.push: time must be a non-negative integer of nanoseconds, got ${time}`);
    }
    const s = this.nextSeq++;
    // The newest event comes after any queued at its own time: it goes in front only when earlier.
    if (this.hasFront) {
      if (time >= this.frontTime) return this.heapPush(time, s, kind, a, b);
      this.heapPush(this.frontTime, this.frontSeq, this.frontKind, this.frontA, this.frontB);
    } else if (this.count > 0 && time >= this.heapTime[0]) {
      return this.heapPush(time, s, kind, a, b);
    }
    this.hasFront = true;
    this.frontTime = time;
    this.frontSeq = s;
    this.frontKind = kind;
    this.frontA = a;
    this.frontB = b;
  }

  private heapPush(time: number, s: number, kind: number, a: number, b: number): void {
    if (this.freeCount === 0) this.grow();
    const slot = this.free[--this.freeCount];
    this.seq[slot] = s;
    this.kind[slot] = kind;
    this.argA[slot] = a;
    this.argB[slot] = b;
    let i = this.count++;
    // Sift up, moving parents down until the position for the new event is found.
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = this.heapTime[p];
      if (pt < time || (pt === time && this.seq[this.heap[p]] < s)) break;
      this.heap[i] = this.heap[p];
      this.heapTime[i] = pt;
      i = p;
    }
    this.heap[i] = slot;
    this.heapTime[i] = time;
  }

  /** Time of the earliest event; only valid while size > 0. */
  peekTime(): number {
    return this.hasFront ? this.frontTime : this.heapTime[0];
  }

  /** Removes the earliest event and writes it into `out`. */
  pop(out: PoppedEvent): void {
    if (this.hasFront) {
      this.hasFront = false;
      out.time = this.frontTime;
      out.kind = this.frontKind;
      out.a = this.frontA;
      out.b = this.frontB;
      return;
    }
    if (this.count === 0) throw new RangeError('EventQueue.pop: queue is empty');
    const top = this.heap[0];
    out.time = this.heapTime[0];
    out.kind = this.kind[top];
    out.a = this.argA[top];
    out.b = this.argB[top];
    this.free[this.freeCount++] = top;
    const last = --this.count;
    if (last === 0) return;
    const slot = this.heap[last];
    const t = this.heapTime[last];
    const s = this.seq[slot];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      let c = l;
      if (r < last) {
        const lt = this.heapTime[l];
        const rt = this.heapTime[r];
        if (rt < lt || (rt === lt && this.seq[this.heap[r]] < this.seq[this.heap[l]])) c = r;
      }
      const ct = this.heapTime[c];
      if (ct > t || (ct === t && this.seq[this.heap[c]] > s)) break;
      this.heap[i] = this.heap[c];
      this.heapTime[i] = ct;
      i = c;
    }
    this.heap[i] = slot;
    this.heapTime[i] = t;
  }

  private grow(): void {
    const old = this.heap.length;
    const n = old * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(a);
      return next;
    };
    this.heap = grow(this.heap, (k) => new Int32Array(k));
    this.heapTime = grow(this.heapTime, (k) => new Float64Array(k));
    this.seq = grow(this.seq, (k) => new Float64Array(k));
    this.kind = grow(this.kind, (k) => new Int32Array(k));
    this.argA = grow(this.argA, (k) => new Int32Array(k));
    this.argB = grow(this.argB, (k) => new Int32Array(k));
    // Every slot was in use: the new ones are free.
    this.free = new Int32Array(n);
    for (let i = 0; i < n - old; i++) this.free[i] = n - 1 - i;
    this.freeCount = n - old;
  }
}

export interface PoppedEvent {
  time: number;
  kind: number;
  a: number;
  b: number;
}
