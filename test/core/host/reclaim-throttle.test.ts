import { describe, expect, it } from 'vitest';
import { ReclaimThrottle, SWAP_CLUSTER_MAX } from '../../../core/host/reclaim-throttle.js';
import { HostMemory } from '../../../core/machine/memory.js';

/**
 * Reclaim cannot outrun write-out: at its limit a cgroup whose evicted pages are still being
 * written makes the allocating thread wait (mm/vmscan.c shrink_folio_list() "Case 3" for legacy
 * memcg; reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK) otherwise).
 */
describe('reclaim throttling on writeback', () => {
  const full = (limit: number, writebackLimit: number) => {
    const m = new HostMemory(1000, limit);
    m.writebackLimit = writebackLimit;
    m.onWriteback = () => {};
    for (let g = 0; g < limit; g++) m.insert(g);
    return m;
  };

  it('below the limit nothing stalls, however much is under writeback', () => {
    const m = new HostMemory(1000, 100);
    m.writebackLimit = 1;
    m.onWriteback = () => {};
    m.insert(1);
    m.writebackInFlight = 50;
    expect(m.reclaimThrottled()).toBe(false);
  });

  it('at the limit, an allocation stalls once writebackLimit evicted dirty pages are in flight, and goes on as writes finish', () => {
    const m = full(64, 64);
    // Each insert evicts one dirty page (all were written on their first touch): its write is in flight.
    for (let g = 64; g < 127; g++) m.insert(g);
    expect(m.writebackInFlight).toBe(63);
    expect(m.reclaimThrottled()).toBe(false);
    m.insert(127);
    expect(m.reclaimThrottled()).toBe(true);
    m.writebackDone(SWAP_CLUSTER_MAX);
    expect(m.writebackInFlight).toBe(32);
    expect(m.reclaimThrottled()).toBe(false);
  });

  it('a clean victim (read back and not written since) costs no write, so it never feeds the throttle', () => {
    const m = new HostMemory(1000, 4);
    m.writebackLimit = 1;
    m.onWriteback = () => {};
    m.populate(0, 1000);
    for (let g = 0; g < 4; g++) m.insert(g); // populated pages come back clean
    for (let g = 4; g < 20; g++) m.insert(g);
    expect(m.writebackInFlight).toBe(0);
    expect(m.reclaimThrottled()).toBe(false);
  });

  it('releases stalled allocations in FIFO order, only while the cgroup is no longer throttled', () => {
    const t = new ReclaimThrottle();
    const order: number[] = [];
    t.wait({ proceed: () => order.push(1) });
    t.wait({ proceed: () => order.push(2) });
    t.wait({ proceed: () => order.push(3) });
    let budget = 2;
    t.release(() => budget-- <= 0);
    expect(order).toEqual([1, 2]);
    expect(t.pending).toBe(1);
    t.release(() => false);
    expect(order).toEqual([1, 2, 3]);
    expect(t.stalls).toBe(3);
  });
});
