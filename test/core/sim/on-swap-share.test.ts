import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { findVariant, loadScenario, runVariant, scenarioSchema, type ScenarioInput } from '../../../index.js';

/**
 * A never-written region whose guest frames partly come with an earlier use's contents on the
 * host's swap (region onSwapShare; RFCv2's 7,555 swap-ins, scenarios/gavin-rfcv2-*.yaml): a
 * first touch of such a page is a swap-in, of the others a zero-fill. Which pages, is drawn with
 * the run's seed, the same for every variant (common random numbers).
 */
function pass(seed: number, share: number): ScenarioInput {
  return {
    name: 'on-swap-share',
    durationMs: 10_000,
    seed,
    machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64 },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: 50 }, pageCluster: 0 },
    regions: [{ name: 'heap', mib: 32, populated: false, onSwapShare: share }],
    tasks: [{ name: 'memory', passes: 1, program: [{ touch: { region: 'heap', pattern: 'sequential', pages: 8192 } }] }],
    until: { tasks: ['memory'] },
  };
}

describe('region onSwapShare', () => {
  it('swaps in about that share of the pages on their first touch, the same pages for sync and APF', () => {
    const s = scenarioSchema.parse(pass(1, 0.05));
    const sync = runVariant(s, findVariant('sync-x86')).metrics;
    const apf = runVariant(s, findVariant('x86')).metrics;
    // 8,192 pages × 0.05 = 410; four standard deviations are 79.
    expect(Math.abs(sync.swap.reads - 410)).toBeLessThan(79);
    expect(apf.swap.reads).toBe(sync.swap.reads);
    expect(apf.apf.faults).toBe(sync.apf.faults);
    expect(sync.apf.zeroFills + sync.swap.reads).toBe(8192);
  });

  it('draws other pages with another seed', () => {
    const reads = [1, 2, 3].map((seed) => runVariant(scenarioSchema.parse(pass(seed, 0.05)), findVariant('sync-x86')).metrics.swap.reads);
    expect(new Set(reads).size).toBeGreaterThan(1);
  });

  it('is refused with a post-copy backing, which has no host swap (file, field, why)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-onswapshare-'));
    try {
      const file = join(dir, 'pc.yaml');
      const input = pass(1, 0.5);
      writeFileSync(file, stringify({ ...input, machine: { ...input.machine, hostResidentMiB: 64 }, backing: { kind: 'postcopy', rttUs: 100, bandwidthMBps: 100 } }));
      expect(() => loadScenario(file)).toThrow(/regions\[0\]\.onSwapShare.*backing postcopy has no host swap/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is refused on a populated region, which is on swap whole or not (onSwap)', () => {
    const input = pass(1, 0.05);
    const r = scenarioSchema.safeParse({ ...input, regions: [{ name: 'heap', mib: 32, onSwapShare: 0.05 }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['regions', 0, 'onSwapShare'] });
    expect(r.error?.issues[0].message).toContain('populated: false');
  });
});
