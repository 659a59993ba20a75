import { describe, expect, it } from 'vitest';
import { ProcessMemory } from '../../../core/guest/mm.js';
import { FreePages } from '../../../core/guest/page-alloc.js';
import { PageCache } from '../../../core/guest/page-cache.js';

describe('PageCache (the guest LRU that reclaim drops from, mm/vmscan.c)', () => {
  it('reclaims the oldest pages first, and hands the oldest of a batch out first', () => {
    const cache = new PageCache(8);
    for (const g of [10, 11, 12, 13]) cache.add(g);
    const pool = new FreePages(100, 0, 8);
    expect(cache.shrink(pool, 2)).toBe(2);
    expect([pool.alloc(), pool.alloc(), pool.alloc()]).toEqual([10, 11, -1]);
    expect(cache.pages).toBe(2);
    expect(cache.reclaimed).toBe(2);
  });

  it('reclaims no more than it holds, across the ring’s wrap', () => {
    const cache = new PageCache(3);
    const pool = new FreePages(0, 0, 8);
    cache.add(1);
    cache.add(2);
    cache.shrink(pool, 2);
    cache.add(3);
    cache.add(4); // wraps
    expect(cache.shrink(pool, 32)).toBe(2);
    expect([pool.alloc(), pool.alloc()]).toEqual([3, 4]);
  });
});

describe('ProcessMemory.release with files (exit_mmap(): written files stay cached)', () => {
  it('frees anonymous frames to the pool and keeps file pages in the page cache', () => {
    const pool = new FreePages(0, 4, 8);
    const cache = new PageCache(8);
    const mm = new ProcessMemory([2, 2], [false, true]);
    mm.map(0, 0, pool.alloc());
    mm.map(0, 1, pool.alloc());
    mm.map(1, 0, pool.alloc());
    mm.map(1, 1, pool.alloc());
    mm.release(pool, cache);
    expect(pool.free).toBe(2);
    expect(cache.pages).toBe(2);
    cache.shrink(pool, 2);
    expect(pool.free).toBe(4);
  });
});
