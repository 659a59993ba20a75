import { describe, expect, it } from 'vitest';
import { HostMemory } from '../../../core/machine/memory.js';

describe('HostMemory (CLOCK under a resident limit)', () => {
  it('never holds more than the limit', () => {
    const m = new HostMemory(100, 10);
    for (let g = 0; g < 100; g++) m.insert(g);
    expect(m.residentPages).toBe(10);
    expect(Array.from({ length: 100 }, (_, g) => m.isResident(g)).filter(Boolean)).toHaveLength(10);
  });

  it('spares a page touched since the hand last passed', () => {
    const m = new HostMemory(100, 4);
    m.populate(0, 100);
    m.prefill(); // 0..3 resident, all referenced
    m.insert(10); // the hand clears 0..3 and evicts 0
    expect(m.isResident(0)).toBe(false);
    m.touch(1);
    m.insert(11); // 1 was touched again: 2 goes instead
    expect(m.isResident(1)).toBe(true);
    expect(m.isResident(2)).toBe(false);
    expect(m.evictions).toBe(2);
  });
});

describe('populated pages (facts/anchors.md §A7 do_anonymous_page())', () => {
  it('a page the guest never wrote is not populated until it is first brought in; eviction keeps it populated (on swap)', () => {
    const m = new HostMemory(10, 1);
    m.populate(0, 5);
    expect(m.isPopulated(4)).toBe(true);
    expect(m.isPopulated(5)).toBe(false);
    m.insert(5);
    expect(m.isPopulated(5)).toBe(true);
    m.insert(6); // evicts 5 to swap
    expect(m.isResident(5)).toBe(false);
    expect(m.isPopulated(5)).toBe(true);
  });

  it('prefill brings in populated pages only', () => {
    const m = new HostMemory(10, 4);
    m.populate(6, 4);
    m.prefill();
    expect([6, 7, 8, 9].every((g) => m.isResident(g))).toBe(true);
    expect(m.isResident(0)).toBe(false);
  });
});

describe('dirty pages and swap-out writes (mm/vmscan.c shrink_folio_list(): only a dirty folio goes to pageout())', () => {
  it('evicting a page written since it was read in writes it out; a clean one goes for free', () => {
    const m = new HostMemory(10, 2);
    m.populate(0, 10);
    const written: number[] = [];
    m.onWriteback = (g) => written.push(g);
    m.insert(0); // read in: clean
    m.insert(1);
    m.touch(1, true); // a store: dirty
    m.touch(0, false);
    m.insert(2); // evicts one of them (CLOCK: both referenced, the hand clears and takes 0)
    m.insert(3);
    expect(written).toEqual([1]);
    expect(m.writebacks).toBe(1);
  });

  it('a page never on swap (zero-filled, or written before the run) is dirty from the start', () => {
    const m = new HostMemory(10, 1);
    const written: number[] = [];
    m.onWriteback = (g) => written.push(g);
    m.insert(5); // never populated: zero-filled
    m.insert(6);
    expect(written).toEqual([5]);
  });
});

describe('HostMemory: a region already on swap at the start', () => {
  it('is populated but left out of the warm start, so its first touch is a swap-in, not a zero-fill', () => {
    const m = new HostMemory(100, 50);
    m.populate(0, 10, true);
    m.populate(10, 10);
    m.prefill();
    expect(m.isPopulated(3)).toBe(true);
    expect(m.isResident(3)).toBe(false);
    expect(m.isResident(13)).toBe(true);
  });
});
