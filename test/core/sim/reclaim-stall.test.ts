import { afterEach, describe, expect, it, vi } from 'vitest';
import { SwapDevice } from '../../../core/machine/swap.js';
import { Simulation } from '../../../core/sim/simulation.js';
import { findVariant } from '../../../arches/registry.js';
import { runVariant } from '../../../core/run.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * The page of a fault is allocated by the vCPU's own FOLL_NOWAIT try, before KVM chooses async or
 * sync (arch/x86/kvm/mmu/mmu.c __kvm_faultin_pfn(): __gfn_to_pfn_memslot() with &async first;
 * mm/memory.c do_swap_page() → swapin_readahead() → mm/swap_state.c __read_swap_cache_async(),
 * whose memcg charge reclaims). At the cgroup's limit, with its write-out backed up, that
 * allocation waits, and the vCPU waits with it, even for a fault that then goes async.
 */
// Every page is on swap (no zero-fill) and written (evictions are writes); one I/O at a time.
const backedUp = smallScenario({
  durationMs: 300,
  machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 2 },
  backing: { kind: 'swap', latency: { dist: 'fixed', us: 400 }, queueDepth: 1 },
  regions: [{ name: 'array', mib: 48, onSwap: true }],
  tasks: [
    { name: 'worker', count: 2, program: [{ compute: { us: 500 } }] },
    { name: 'writer', count: 2, program: [{ touch: { region: 'array', pages: 7, thinkNs: 2000, write: true } }] },
  ],
});

describe('a stall in reclaim is the faulting vCPU\'s, before the async-or-sync choice', () => {
  for (const id of ['x86', 'arm64-sdei']) {
    it(`${id}: every fault goes async, yet the vCPU spends time blocked in the host`, () => {
      const r = runVariant(backedUp, findVariant(id));
      expect(r.metrics.swap.writebackStalls).toBeGreaterThan(0);
      expect(r.metrics.apf.asyncStarted).toBe(r.metrics.apf.faults);
      expect(r.metrics.apf.zeroFills).toBe(0);
      expect(Object.keys(r.metrics.apf.syncFallbacks)).toEqual([]);
      expect(r.metrics.vcpuTimeNs.sync).toBeGreaterThan(0);
      expect(r.invariants.violations).toEqual([]);
    });
  }
});

/**
 * The designs whose fault reaches the guest with no exit (x86-ve's #VE, arm64-s2's reflected
 * stage-2 fault) ask for the page by a call whose host side is the same lookup and FOLL_NOWAIT try
 * (core/sim/host-async-pf.ts startAsyncPf()), so its allocation stalls the vCPU as a stage-2
 * fault's does. Hostile round: their vCPUs never waited in reclaim (sync time 0, the stall left
 * to the read), and with 10,000 tasks on 256 vCPUs they did 1.6 times x86's work. The access that
 * comes back after the refused request is the same fault: every fault still goes async once.
 */
describe('a guest\'s own request for a page stalls in reclaim as a stage-2 fault does', () => {
  for (const id of ['x86-ve', 'arm64-s2']) {
    it(`${id}: the vCPU spends time blocked in the host, and no fault is counted twice`, () => {
      const r = runVariant(backedUp, findVariant(id));
      expect(r.metrics.swap.writebackStalls).toBeGreaterThan(0);
      expect(r.metrics.vcpuTimeNs.sync).toBeGreaterThan(0);
      expect(r.metrics.apf.asyncStarted).toBe(r.metrics.apf.faults);
      expect(Object.keys(r.metrics.apf.syncFallbacks)).toEqual([]);
      expect(r.invariants.violations).toEqual([]);
    });
  }
});

/**
 * A fault stalled in reclaim has claimed its page's swap cache entry (swapcache_prepare() comes
 * before the memcg charge in mm/swap_state.c __read_swap_cache_async()): a neighbour's readahead
 * let through first skips it, so the page is read once. Hostile round: 1–4 pages were read twice
 * per run here, the stalled fault's own read after a neighbour's readahead had taken the page.
 */
describe('a page whose fault is stalled in reclaim is read once', () => {
  afterEach(() => vi.restoreAllMocks());
  const crowded = smallScenario({
    durationMs: 300,
    machine: { vcpus: 8, guestMemoryMiB: 64, hostResidentMiB: 1 },
    backing: { kind: 'swap', latency: { dist: 'lognormal', us: 300, sigma: 1.2, minUs: 36.2, maxUs: 55700 }, queueDepth: 1, pageCluster: 5 },
    regions: [{ name: 'array', mib: 2 }],
    tasks: [
      { name: 'randw', count: 8, program: [{ touch: { region: 'array', pattern: 'random', pages: 7, thinkNs: 200 } }] },
      { name: 'seqw', count: 8, program: [{ touch: { region: 'array', pattern: 'sequential', pages: 7, thinkNs: 200 } }] },
    ],
  });
  it.each([1, 2, 3, 4, 5])('seed %i: no read of a page another read is bringing in', (seed) => {
    const variant = findVariant('sync-x86');
    const backend = variant.createBackend({ costOverrides: variant.defaultCosts, knobs: variant.knobs, guestMemoryBytes: 64 * 1024 * 1024 });
    const sim = new Simulation({ ...crowded, seed }, backend, { seed });
    const twice: number[] = [];
    const request = SwapDevice.prototype.request;
    vi.spyOn(SwapDevice.prototype, 'request').mockImplementation(function (this: SwapDevice, gfn: number, now: number) {
      // Its own read under way, or a neighbour's readahead bringing it in the same I/O.
      if (gfn >= 0 && (this.isReading(gfn) || sim.readaheadIo.has(gfn))) twice.push(gfn);
      return request.call(this, gfn, now);
    });
    sim.run();
    expect(sim.reclaim.stalls).toBeGreaterThan(0);
    expect(twice).toEqual([]);
  });
});
