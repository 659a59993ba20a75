import { describe, expect, it } from 'vitest';
import { findVariant } from '../../../arches/registry.js';
import { runVariant } from '../../../core/run.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * The async worker brings the page in for writing whatever the guest's access:
 * get_user_pages_remote(…, FOLL_WRITE, …) in virt/kvm/async_pf.c async_pf_execute() (Linux 6.12;
 * in 2010 get_user_pages(…, write=1, …)), so do_swap_page() maps it dirty and frees its swap copy
 * (mm/memory.c should_try_to_free_swap()): evicting it again is a write. A synchronous fault's
 * page, brought in for a read, keeps its swap copy and leaves for free.
 */
// The array starts on swap (written before the run), so that no page is new: a new page is dirty anyway.
const readers = smallScenario({
  durationMs: 400,
  machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 2 },
  regions: [{ name: 'array', mib: 48, onSwap: true }],
  tasks: [
    { name: 'worker', count: 2, program: [{ compute: { us: 500 } }] },
    { name: 'reader', count: 2, program: [{ touch: { region: 'array', pages: 7, thinkNs: 2000, write: false } }] },
  ],
});

describe('pages an async PF brought in are dirty (async_pf_execute() asks for FOLL_WRITE)', () => {
  it('read-only tasks: the no-APF baseline writes nothing out; with APF, pages the worker brought in are written again', () => {
    const sync = runVariant(readers, findVariant('sync-x86'));
    expect(sync.metrics.apf.faults).toBeGreaterThan(100);
    expect(sync.metrics.swap.evictions).toBeGreaterThan(100);
    expect(sync.metrics.swap.writes).toBe(0);
    for (const id of ['x86', 'arm64-sdei']) {
      const apf = runVariant(readers, findVariant(id));
      expect(apf.metrics.apf.asyncStarted).toBeGreaterThan(100);
      expect(apf.metrics.swap.writes).toBeGreaterThan(0);
      expect(apf.invariants.violations).toEqual([]);
    }
  });
});
