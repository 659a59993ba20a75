import { describe, expect, it } from 'vitest';
import { SwapReadahead } from '../../../core/host/swap-readahead.js';
import { findVariant, runVariant, x86Variant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

/** VMA-based swap readahead, Linux 6.12 mm/swap_state.c (facts/anchors.md §A7). */
describe('SwapReadahead (__swapin_nr_pages(), swap_vma_readahead())', () => {
  it('with no hits: one page, or two when the fault is next to the previous one', () => {
    const ra = new SwapReadahead(3, 1 << 20);
    expect(ra.window(1000)).toEqual({ start: 1000, count: 1 });
    expect(ra.window(5000).count).toBe(1);
    expect(ra.window(5001)).toEqual({ start: 5001, count: 2 }); // ascending: forward
    expect(ra.window(5000)).toEqual({ start: 4999, count: 2 }); // descending: backward
  });

  it('a hit moves the address the next window is placed from: a sequential stream reads forward (swap_cache_get_folio())', () => {
    const ra = new SwapReadahead(3, 1 << 20);
    ra.window(100);
    ra.window(101); // two pages: 101, 102
    ra.hit(102);
    expect(ra.window(103)).toEqual({ start: 103, count: 4 });
  });

  it('grows with hits, as a power of two, up to 2^page-cluster', () => {
    const ra = new SwapReadahead(3, 1 << 20);
    ra.window(100);
    ra.hits = 1;
    expect(ra.window(101).count).toBe(4); // hits + 2 = 3 → 4
    ra.hits = 7;
    expect(ra.window(102).count).toBe(8); // 9 → 16, capped at 8
    ra.hits = 0;
    expect(ra.window(9000).count).toBe(4); // never below half the last window
  });

  it('page-cluster 0 reads one page; VMA readahead is capped at 2^5', () => {
    expect(new SwapReadahead(0, 1 << 20).window(10).count).toBe(1);
    const big = new SwapReadahead(10, 1 << 20);
    big.window(1);
    big.hits = 100;
    expect(big.window(2).count).toBe(32);
  });

  it('is clipped, not shifted, to the 2 MiB PMD around the fault and to guest memory (swap_vma_ra_win(): max3()/min3())', () => {
    const ra = new SwapReadahead(3, 1 << 20);
    ra.window(1021);
    ra.hits = 10;
    // Ascending near the end of the PMD [512, 1024): the 8-page window [1022, 1030) keeps its first two pages.
    expect(ra.window(1022)).toEqual({ start: 1022, count: 2 });
    const down = new SwapReadahead(3, 1 << 20);
    down.window(514);
    down.hits = 10;
    // Descending near its start: [506, 514) keeps [512, 514).
    expect(down.window(513)).toEqual({ start: 512, count: 2 });
    const small = new SwapReadahead(3, 10);
    small.window(8);
    small.hits = 10;
    expect(small.window(9)).toEqual({ start: 9, count: 1 });
  });
});

describe('swap-in readahead in a run (backing.pageCluster)', () => {
  function pass(pattern: 'sequential' | 'random', pageCluster: number) {
    return runVariant(
      smallScenario({
        durationMs: 200,
        machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 8 },
        backing: { kind: 'swap', latency: { dist: 'fixed', us: 200 }, queueDepth: 32, pageCluster },
        tasks: [{ name: 'mem', program: [{ touch: { region: 'array', pattern, pages: 64, thinkNs: 500 } }] }],
      }),
      x86Variant,
    );
  }

  it('a sequential pass reads its pages eight at a time; a random one gains nothing', () => {
    const seq = pass('sequential', 3).metrics;
    const seq1 = pass('sequential', 0).metrics;
    expect(seq.swap.readaheadPages).toBeGreaterThan(5 * seq.swap.reads);
    expect(seq.apf.swapCacheHits).toBeGreaterThan(0);
    expect(seq.work).toBeGreaterThan(2.5 * seq1.work);
    const rnd = pass('random', 3).metrics;
    expect(rnd.swap.readaheadPages).toBeLessThan(0.05 * rnd.swap.reads);
  });

  it('stays invariant-clean with every page it brings in', () => {
    expect(pass('sequential', 3).invariants?.violations ?? []).toEqual([]);
  });
});

describe('swap-out writes in a run', () => {
  // The no-APF baseline: a page an async PF brings in is dirty whatever the access (async_pf_execute()
  // asks for FOLL_WRITE: test/core/sim/async-pf-write.test.ts), so only synchronous faults show a
  // load's page coming back clean.
  function run(write: boolean) {
    return runVariant(
      smallScenario({
        durationMs: 400,
        machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 8 },
        backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 }, queueDepth: 32, pageCluster: 0 },
        tasks: [{ name: 'mem', program: [{ touch: { region: 'array', pattern: 'random', pages: 64, thinkNs: 500, write } }] }],
      }),
      findVariant('sync-x86'),
    ).metrics.swap;
  }

  it('stores make the pages they evict write out; loads of pages read in do not', () => {
    const stores = run(true);
    const loads = run(false);
    // Writes go out 32 pages to an I/O (a reclaim batch, core/machine/swap.ts): count pages.
    expect(stores.writePages).toBeGreaterThan(0.9 * stores.reads - 32);
    // Only the pages resident at the start (written before the run, never on swap) are written out.
    expect(loads.writePages).toBeLessThanOrEqual(8 * 256);
    expect(loads.writePages).toBeLessThan(stores.writePages);
  });
});
