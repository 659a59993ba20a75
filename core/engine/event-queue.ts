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
 *
 * Beside the heap runs a lane: events pushed in time order (pushInOrder(): each vCPU's tick, a fixed
 * period after the last one) wait there first in, first out, and a pop takes the lane's head when
 * it is the earliest. A large machine's ticks are a quarter of what is pending and never pass
 * through the heap; the order is still (time, sequence).
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
  /** The lane: a ring of events in (time, sequence) order, its head at laneHead. */
  private laneTime = new Float64Array(64);
  private laneSeq = new Float64Array(64);
  private laneKind = new Int32Array(64);
  private laneA = new Int32Array(64);
  private laneB = new Int32Array(64);
  private laneHead = 0;
  private laneLength = 0;

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
    return (this.hasFront ? this.count + 1 : this.count) + this.laneLength;
  }

  push(time: number, kind: number, a: number, b: number): void {
    checkTime(time);
    this.pushHeapOrFront(time, this.nextSeq++, kind, a, b);
  }

  /**
   * push() for an event no earlier than any pushed this way before (a period after the last one):
   * it joins the lane. One that is earlier (out of order after all) goes through push()'s way.
   */
  pushInOrder(time: number, kind: number, a: number, b: number): void {
    checkTime(time);
    const s = this.nextSeq++;
    const n = this.laneTime.length;
    if (this.laneLength > 0 && time < this.laneTime[(this.laneHead + this.laneLength - 1) & (n - 1)]) {
      return this.pushHeapOrFront(time, s, kind, a, b);
    }
    if (this.laneLength === n) this.growLane();
    const i = (this.laneHead + this.laneLength++) & (this.laneTime.length - 1);
    this.laneTime[i] = time;
    this.laneSeq[i] = s;
    this.laneKind[i] = kind;
    this.laneA[i] = a;
    this.laneB[i] = b;
  }

  private pushHeapOrFront(time: number, s: number, kind: number, a: number, b: number): void {
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
    if (this.laneFirst()) return this.laneTime[this.laneHead];
    return this.hasFront ? this.frontTime : this.heapTime[0];
  }

  /** Is the lane's head the earliest event of all? */
  private laneFirst(): boolean {
    if (this.laneLength === 0) return false;
    const t = this.laneTime[this.laneHead];
    if (this.hasFront) return t < this.frontTime || (t === this.frontTime && this.laneSeq[this.laneHead] < this.frontSeq);
    if (this.count === 0) return true;
    const ht = this.heapTime[0];
    return t < ht || (t === ht && this.laneSeq[this.laneHead] < this.seq[this.heap[0]]);
  }

  /** Removes the earliest event and writes it into `out`. */
  pop(out: PoppedEvent): void {
    if (this.laneFirst()) {
      const i = this.laneHead;
      out.time = this.laneTime[i];
      out.kind = this.laneKind[i];
      out.a = this.laneA[i];
      out.b = this.laneB[i];
      this.laneHead = (i + 1) & (this.laneTime.length - 1);
      this.laneLength--;
      return;
    }
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

  /** A lane twice as long, its events in order from index 0. */
  private growLane(): void {
    const n = this.laneTime.length;
    const unroll = <T extends Float64Array | Int32Array>(a: T, next: T): T => {
      for (let k = 0; k < n; k++) next[k] = a[(this.laneHead + k) & (n - 1)];
      return next;
    };
    this.laneTime = unroll(this.laneTime, new Float64Array(2 * n));
    this.laneSeq = unroll(this.laneSeq, new Float64Array(2 * n));
    this.laneKind = unroll(this.laneKind, new Int32Array(2 * n));
    this.laneA = unroll(this.laneA, new Int32Array(2 * n));
    this.laneB = unroll(this.laneB, new Int32Array(2 * n));
    this.laneHead = 0;
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

function checkTime(time: number): void {
  if (!Number.isSafeInteger(time) || time < 0) {
    throw new RangeError(`EventQueue.push: time must be a non-negative integer of nanoseconds, got ${time}`);
  }
}

export interface PoppedEvent {
  time: number;
  kind: number;
  a: number;
  b: number;
}
