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
