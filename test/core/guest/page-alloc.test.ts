import { describe, expect, it } from 'vitest';
import { ProcessMemory } from '../../../core/guest/mm.js';
import { FreePages } from '../../../core/guest/page-alloc.js';

describe('FreePages (the guest page allocator: per-cpu lists are LIFO, mm/page_alloc.c)', () => {
  it('hands out never-used frames in ascending order at boot, and nothing once empty', () => {
    const pool = new FreePages(100, 3);
    expect([pool.alloc(), pool.alloc(), pool.alloc(), pool.alloc()]).toEqual([100, 101, 102, -1]);
  });

  it('gives the most recently freed frame out first, before frames never used', () => {
    const pool = new FreePages(100, 10);
    const a = pool.alloc();
    const b = pool.alloc();
    pool.release(a);
    pool.release(b);
    expect(pool.alloc()).toBe(b);
    expect(pool.alloc()).toBe(a);
    expect(pool.alloc()).toBe(102);
  });
});

describe('ProcessMemory (a process’s anonymous mappings)', () => {
  it('maps pages on first touch and, at exit, frees them so that the last page’s frame goes out first', () => {
    const pool = new FreePages(0, 8);
    const mm = new ProcessMemory([4]);
    for (let i = 0; i < 4; i++) mm.map(0, i, pool.alloc());
    expect(mm.frameOf(0, 2)).toBe(2);
    expect(mm.mapped).toBe(4);
    mm.release(pool);
    expect(pool.free).toBe(8);
    expect([pool.alloc(), pool.alloc()]).toEqual([3, 2]);
  });
});
