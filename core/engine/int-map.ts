/**
 * A map from integer keys (gfns, tokens, work and request ids: integers that fit in 32 bits,
 * signed or unsigned) to values, by open addressing in typed arrays.
 *
 * Why not a Map: the engine's tables gain an entry and lose it again at every fault (the works
 * of a vCPU, the sleepers of its guest, the reads in flight). A JS Map reallocates its table each
 * time it grows past or shrinks below a size, and hashes through a builtin call; this one keeps
 * its slots once it has grown (it never shrinks) and is plain arithmetic the compiler can inline.
 *
 * Iteration (forEach) follows the slots, not the insertion order: a caller whose result depends
 * on the order sorts first.
 */
export class IntMap<V> {
  private keys: Float64Array;
  private values: (V | undefined)[];
  private used: Uint8Array;
  /** 32 − log2(capacity): the hash is the top bits of a multiplicative (Fibonacci) hash. */
  private shift: number;
  size = 0;

  constructor(capacity = 8) {
    let cap = 8;
    while (cap < capacity) cap *= 2;
    this.keys = new Float64Array(cap);
    this.values = new Array<V | undefined>(cap).fill(undefined);
    this.used = new Uint8Array(cap);
    this.shift = 32 - Math.log2(cap);
  }

  get(key: number): V | undefined {
    const i = this.slot(key);
    return this.used[i] === 1 ? this.values[i] : undefined;
  }

  has(key: number): boolean {
    return this.used[this.slot(key)] === 1;
  }

  set(key: number, value: V): void {
    const i = this.slot(key);
    this.values[i] = value;
    if (this.used[i] === 1) return;
    this.used[i] = 1;
    this.keys[i] = key;
    // At most half full, so that a probe stays short.
    if (++this.size * 2 > this.keys.length) this.grow();
  }

  /** True if the key was there. */
  delete(key: number): boolean {
    let hole = this.slot(key);
    if (this.used[hole] === 0) return false;
    this.size--;
    // Backward-shift deletion (Knuth's Algorithm R): pull back each entry of the probe run that
    // the hole would otherwise cut off from its home slot, so that no tombstones are needed.
    const mask = this.keys.length - 1;
    for (let j = (hole + 1) & mask; this.used[j] === 1; j = (j + 1) & mask) {
      const home = this.home(this.keys[j]);
      const between = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (between) continue;
      this.keys[hole] = this.keys[j];
      this.values[hole] = this.values[j];
      hole = j;
    }
    this.used[hole] = 0;
    this.values[hole] = undefined;
    return true;
  }

  clear(): void {
    this.used.fill(0);
    this.values.fill(undefined);
    this.size = 0;
  }

  forEach(fn: (value: V, key: number) => void): void {
    for (let i = 0; i < this.keys.length; i++) if (this.used[i] === 1) fn(this.values[i] as V, this.keys[i]);
  }

  /** The keys, in no particular order. */
  keyList(): number[] {
    const out: number[] = [];
    this.forEach((_, k) => out.push(k));
    return out;
  }

  private home(key: number): number {
    return Math.imul(key | 0, 0x9e3779b1) >>> this.shift;
  }

  /** The slot that holds `key`, or the empty slot where it would go. */
  private slot(key: number): number {
    const mask = this.keys.length - 1;
    let i = this.home(key);
    while (this.used[i] === 1 && this.keys[i] !== key) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const used = this.used;
    const cap = keys.length * 2;
    this.keys = new Float64Array(cap);
    this.values = new Array<V | undefined>(cap).fill(undefined);
    this.used = new Uint8Array(cap);
    this.shift = 32 - Math.log2(cap);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (used[i] === 1) this.set(keys[i], values[i] as V);
  }
}
