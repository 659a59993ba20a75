import { describe, expect, it } from 'vitest';
import { parseScenario, scenarioSchema, syncVariant, type ScenarioInput } from '../../../index.js';
import { Simulation } from '../../../core/sim/simulation.js';
import { scenarioErrorOf } from '../scenario/minimal.js';

/**
 * The guest's page cache (mm/filemap.c, mm/vmscan.c): files a process writes stay cached after it
 * exits; when the free pages run out the guest drops its oldest clean cache and reuses the frames,
 * and the host, never told, reads the old contents back from swap when the guest writes them.
 */

/**
 * 512 pages of guest: 224 of old cache the host has on swap, then 256 the guest kernel holds (a
 * region never touched, not populated: the smallest guest is 2 MiB), 32 free; make -j2 of 6 processes.
 */
function build(cacheMiB = 224 / 256): ScenarioInput {
  return {
    name: 'pcache',
    durationMs: 1000,
    machine: { vcpus: 2, guestMemoryMiB: 2, hostResidentMiB: 1 },
    backing: { kind: 'swap', latency: { dist: 'fixed', us: 10 }, pageCluster: 0 },
    regions: [
      { name: 'cache', mib: cacheMiB, onSwap: true, pageCache: true },
      { name: 'kernel', mib: 1, populated: false },
    ],
    tasks: [
      {
        name: 'cc',
        jobs: { concurrent: 2, total: 6 },
        memory: [
          { name: 'heap', mib: 16 / 256 },
          { name: 'out', mib: 8 / 256, kind: 'file' },
        ],
        program: [{ touch: { region: 'heap', pattern: 'sequential', pages: 16 } }, { compute: { us: 50 } }, { syscall: { region: 'out', pattern: 'sequential', pages: 8 } }],
      },
    ],
    until: { tasks: ['cc'] },
  };
}

function run(input: ScenarioInput): { sim: Simulation; reads: number[] } {
  const scenario = scenarioSchema.parse(input);
  const reads: number[] = [];
  class Watched extends Simulation {
    override onIoDone(gfn: number): void {
      if (gfn >= 0) reads.push(gfn);
      super.onIoDone(gfn);
    }
  }
  const backend = syncVariant.createBackend({ costOverrides: syncVariant.defaultCosts, knobs: syncVariant.knobs, guestMemoryBytes: 2 << 20 });
  const sim = new Watched(scenario, backend, { seed: 1 });
  sim.run();
  return { sim, reads };
}

describe('guest page cache', () => {
  it('keeps the files written after their writers exit, and reclaims the oldest cache for new pages', () => {
    const { sim } = run(build());
    const cache = sim.pageCache!;
    expect(sim.metrics.taskExits.toJSON()).toEqual({ cc: 6 });
    // Two processes alive need 48 frames; only 32 are free: the guest must have reclaimed.
    expect(cache.reclaimed).toBeGreaterThan(0);
    expect(cache.reclaimed % 32).toBe(0); // SWAP_CLUSTER_MAX at a time
    // Every written page is still cached: 6 processes × 8 pages joined what was not reclaimed.
    expect(cache.pages).toBe(224 - cache.reclaimed + 6 * 8);
  });

  it('reuses reclaimed frames from the oldest (the region’s last page), and the host swaps their old contents in', () => {
    const { sim, reads } = run(build());
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.length).toBeLessThanOrEqual(sim.pageCache!.reclaimed);
    // Only cache frames were on swap, and the first reclaimed is the region's last page.
    expect(reads.every((g) => g < 224)).toBe(true);
    expect(reads[0]).toBe(223);
    expect(Math.min(...reads)).toBeGreaterThanOrEqual(224 - sim.pageCache!.reclaimed);
  });

  it('without reclaimable cache there is no reuse of old contents: no swap reads', () => {
    const { reads, sim } = run({ ...build(0.5), regions: [{ name: 'cache', mib: 0.5, onSwap: true, pageCache: true }, { name: 'kernel', mib: 1, populated: false }] });
    expect(sim.pageCache!.reclaimed).toBe(0);
    expect(reads).toEqual([]);
  });
});

describe('scenario rules for the page cache', () => {
  const yaml = (regions: string, memory: string, program: string) => `
name: t
durationMs: 10
machine: { vcpus: 1, guestMemoryMiB: 2, hostResidentMiB: 1 }
backing: { kind: swap, latency: { dist: fixed, us: 100 } }
regions: [${regions}]
tasks: [{ name: w, jobs: { concurrent: 1, total: 1 }, memory: [${memory}], program: [${program}] }]
`;
  const errorOf = (text: string) => scenarioErrorOf(() => parseScenario(text, 'f.yaml')).message;

  it('counts page cache as memory the processes may have, and other regions not', () => {
    const memory = '{ name: heap, mib: 1 }';
    const program = '{ touch: { region: heap } }';
    expect(() => parseScenario(yaml('{ name: c, mib: 1.5, pageCache: true }', memory, program), 'f.yaml')).not.toThrow();
    expect(errorOf(yaml('{ name: c, mib: 1.5 }', memory, program))).toMatch(/do not fit/);
  });

  it('lets only a syscall step (write()) touch a file the task writes', () => {
    const memory = '{ name: out, mib: 0.01, kind: file }';
    expect(() => parseScenario(yaml('{ name: a, mib: 0.5 }', memory, '{ syscall: { region: out } }'), 'f.yaml')).not.toThrow();
    expect(errorOf(yaml('{ name: a, mib: 0.5 }', memory, '{ touch: { region: out } }'))).toMatch(/only a syscall step/);
  });

  it('refuses a step touching page cache the guest may reclaim, and page cache never written', () => {
    expect(errorOf(yaml('{ name: c, mib: 0.5, pageCache: true }', '', '{ syscall: { region: c } }'))).toMatch(/no step may touch it/);
    expect(errorOf(yaml('{ name: c, mib: 0.5, pageCache: true, populated: false }, { name: a, mib: 0.1 }', '', '{ touch: { region: a } }'))).toMatch(/pageCache needs populated/);
  });
});
