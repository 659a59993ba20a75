import { describe, expect, it } from 'vitest';
import { findVariant, runVariant, scenarioSchema, type ScenarioInput } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

/** Host THP (do_huge_pmd_anonymous_page()): one first touch zero-fills the 2 MiB around it. */
describe('host transparent huge pages', () => {
  const run = (hostThp: boolean) =>
    runVariant(
      smallScenario({
        durationMs: 5_000,
        machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 32, hostThp, hugeClearUs: 100 },
        regions: [{ name: 'heap', mib: 16, populated: false }],
        tasks: [{ name: 'memory', passes: 512, program: [{ touch: { region: 'heap', pattern: 'sequential', pages: 8 } }] }],
        until: { tasks: ['memory'] },
        drain: { enabled: false, maxMs: 1 },
      }),
      findVariant('sync-arm64'),
      { seed: 1 },
    );

  it('with THP a sequential first pass over 16 MiB takes 8 host faults (one per 2 MiB), without it 4,096', () => {
    expect(run(true).metrics.apf.zeroFills).toBe(8);
    expect(run(false).metrics.apf.zeroFills).toBe(4096);
  });

  it('a huge fault charges the 2 MiB clear: 8 × 100 µs of host time at least', () => {
    const thp = run(true);
    expect(thp.metrics.vcpuTimeNs.host).toBeGreaterThan(8 * 100_000);
    expect(thp.metrics.tasks.memory.finished).toBe(1);
  });
});

/**
 * The fill's frames under the cgroup limit: the 512-page folio is charged whole
 * (__do_huge_pmd_anonymous_page(), mm/huge_memory.c), so under a memory.max of less than 2 MiB the
 * fault falls back to one 4 KiB page; with room for it the fill evicts other pages, never its own.
 */
describe('host THP under a small cgroup limit', () => {
  const run = (hostResidentMiB: number, regions: ScenarioInput['regions'], pages: number) =>
    runVariant(
      smallScenario({
        durationMs: 50,
        machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB, hostThp: true },
        backing: { kind: 'swap', latency: { dist: 'fixed', us: 1000 }, pageCluster: 0 },
        regions,
        tasks: [{ name: 't', passes: 1, program: [{ touch: { region: 'heap', pattern: 'sequential', pages } }] }],
      }),
      findVariant('sync-x86'),
      { seed: 1 },
    );

  it.each([1, 1.5])('at %s MiB one touch of a never-written page is one 4 KiB zero-fill: no eviction, no swap I/O, no 2 MiB clear', (mib) => {
    const r = run(mib, [{ name: 'heap', mib: 2, populated: false }], 1);
    expect(r.metrics.apf.zeroFills).toBe(1);
    expect(r.metrics.swap).toMatchObject({ reads: 0, writes: 0, evictions: 0 });
    expect(r.metrics.faultLatencyNs.count).toBe(0);
    // The same few microseconds as with THP off (an exit, the host's fault work, the touch); the clear is 100 µs.
    expect(r.metrics.tasks.t.completionNs?.max).toBeLessThan(10_000);
  });

  it.each([2, 3])('at %s MiB, with the cgroup full of written pages, the fill evicts 512 of them and none of its own', (mib) => {
    // `old` comes first in the layout and fills the cgroup at the start; `heap`, 2 MiB-aligned after it, was never written.
    const r = run(mib, [{ name: 'old', mib: 4, populated: true }, { name: 'heap', mib: 2, populated: false }], 512);
    // One fault for the extent; the other 511 touches find their pages in.
    expect(r.metrics.apf.zeroFills).toBe(1);
    expect(r.metrics.swap).toMatchObject({ reads: 0, evictions: 512, writePages: 512 });
    expect(r.metrics.faultLatencyNs.count).toBe(0);
  });
});

/**
 * __handle_mm_fault() makes a huge page only where the 2 MiB range has no page table yet
 * (pmd_none(), mm/memory.c): an extent with a page that has contents (here frames the host had
 * swapped out, region onSwapShare) is faulted 4 KiB at a time. Hostile run: 16 zero-fill faults
 * for a 64 MiB pass where nearly every extent held a swapped-out page, in half the time.
 */
describe('host THP only over an untouched 2 MiB range', () => {
  it('an extent holding a page on swap is zero-filled a 4 KiB page at a time', () => {
    const s = scenarioSchema.parse({
      name: 'thp-oss',
      durationMs: 200,
      machine: { vcpus: 1, guestMemoryMiB: 256, hostResidentMiB: 256, hostThp: true },
      backing: { kind: 'swap', latency: { dist: 'fixed', us: 100 } },
      regions: [
        { name: 'mixed', mib: 32, populated: false, onSwapShare: 0.01 },
        { name: 'fresh', mib: 32, populated: false },
      ],
      tasks: [{ name: 'memory', passes: 1, program: [{ touch: { region: 'mixed', pattern: 'sequential', pages: 8192 } }, { touch: { region: 'fresh', pattern: 'sequential', pages: 8192 } }] }],
      until: { tasks: ['memory'] },
    });
    const m = runVariant(s, findVariant('sync-x86')).metrics;
    // `fresh` is 16 untouched extents: 16 huge zero-fills. `mixed` (~82 pages on swap over its 16
    // extents, each extent all but surely holding one): its other pages one zero-fill each.
    expect(m.apf.zeroFills - 16 + m.swap.reads).toBeGreaterThan(0.99 * 8192);
    expect(m.swap.reads).toBeGreaterThan(40);
  });
});
