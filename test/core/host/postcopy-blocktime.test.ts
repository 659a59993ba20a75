import { describe, expect, it } from 'vitest';
import { PostcopyBlocktime } from '../../../core/host/postcopy-blocktime.js';

/**
 * QEMU's postcopy blocktime (facts/anchors.md §A7; migration/postcopy-ram.c
 * mark_postcopy_blocktime_end()): per vCPU the time it waited for a page; overall only the time
 * during which every vCPU waited at once.
 */
describe('PostcopyBlocktime', () => {
  it('overall counts only the time all vCPUs wait at once; per vCPU counts each one\'s waits', () => {
    const b = new PostcopyBlocktime(2);
    b.begin(0, 0);
    b.begin(1, 5);
    b.end(0, 10); // both waited 5–10
    b.begin(0, 30);
    b.end(1, 20); // vCPU 1 alone 10–20: not overall
    b.end(0, 40); // vCPU 0 alone
    expect(b.totals(100)).toEqual({ overallNs: 5, perVcpuNs: [20, 15] });
  });

  it('with one vCPU, overall is its own wait', () => {
    const b = new PostcopyBlocktime(1);
    b.begin(0, 100);
    b.end(0, 250);
    expect(b.totals(1_000)).toEqual({ overallNs: 150, perVcpuNs: [150] });
  });

  it('a vCPU that never waits keeps overall at zero, whatever the others do', () => {
    const b = new PostcopyBlocktime(3);
    b.begin(0, 0);
    b.begin(1, 0);
    b.end(0, 50);
    b.end(1, 50);
    expect(b.totals(100).overallNs).toBe(0);
  });

  it('waits are clipped to the measured window, and one still open counts up to its end', () => {
    const b = new PostcopyBlocktime(2);
    b.begin(0, 10);
    b.end(0, 500);
    b.begin(1, 40);
    expect(b.totals(100)).toEqual({ overallNs: 60, perVcpuNs: [90, 60] });
  });

  it('records vCPUs out of time order (one vCPU\'s clock runs ahead of another\'s)', () => {
    const b = new PostcopyBlocktime(2);
    b.begin(1, 60);
    b.end(1, 90);
    b.begin(0, 0);
    b.end(0, 70);
    expect(b.totals(100)).toEqual({ overallNs: 10, perVcpuNs: [70, 30] });
  });
});
