import { describe, expect, it } from 'vitest';
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
