import { describe, expect, it } from 'vitest';
import { arm64SdeiVariant, parseScenario, runVariant, syncVariant, x86Variant } from '../../../index.js';
import { smallScenario, TINY_SCENARIO_YAML } from '../../support/scenarios.js';

/**
 * Fixed work (facts/anchors.md §A7): a task runs its program a given number of passes and exits;
 * its completion time is reported, and a run can end when the named tasks have finished, as the
 * cover letters measured ("test time", a memory thread's run time).
 */
function fixedWork(passes: number, until: boolean) {
  return smallScenario({
    durationMs: 5000,
    machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 64 },
    tasks: [
      { name: 'mem', passes, program: [{ touch: { region: 'array', pattern: 'sequential', pages: 1000 } }] },
      { name: 'calc', program: [{ compute: { us: 100 } }] },
    ],
    ...(until ? { until: { tasks: ['mem'] } } : {}),
  });
}

describe('fixed work (task passes)', () => {
  it('a task runs its passes, exits, and reports when it finished', () => {
    const r = runVariant(fixedWork(3, false), syncVariant);
    const mem = r.metrics.tasks.mem;
    expect(mem).toMatchObject({ count: 1, finished: 1 });
    // 3 × 1,000 resident touches at 100 ns, sharing the vCPU with calc: at least 0.3 ms, well under the window.
    expect(mem.completionNs!.mean).toBeGreaterThanOrEqual(300_000);
    expect(mem.completionNs!.max).toBeLessThan(100_000_000);
    expect(r.metrics.tasks.calc).toMatchObject({ count: 1, finished: 0, completionNs: null });
  });

  it('twice the passes take about twice as long', () => {
    const one = runVariant(fixedWork(10, false), syncVariant).metrics.tasks.mem.completionNs!.mean;
    const two = runVariant(fixedWork(20, false), syncVariant).metrics.tasks.mem.completionNs!.mean;
    expect(two / one).toBeGreaterThan(1.8);
    expect(two / one).toBeLessThan(2.2);
  });

  it('without `until` the window stays durationMs; with it, it ends when the named tasks have finished', () => {
    const open = runVariant(fixedWork(3, false), syncVariant);
    expect(open.run.measuredNs).toBe(5000e6);
    const ended = runVariant(fixedWork(3, true), x86Variant);
    const done = ended.metrics.tasks.mem.completionNs!.max;
    expect(ended.run.measuredNs).toBe(done);
    expect(ended.run.stoppedEarly).toBeNull();
    expect(ended.invariants.ok).toBe(true);
    // Work and time are counted up to that end only.
    const total = Object.values(ended.metrics.vcpuTimeNs).reduce((a, b) => a + b, 0);
    expect(total).toBe(done);
  });

  it('time another vCPU charged past the end `until` gave the window is taken back: the categories add up to vCPUs × the window', () => {
    // A hostile run: `quick` exits at once while the writers' vCPUs are inside exits charged a few
    // µs ahead of the clock, and those counted whole gave 140.7 % of 2 vCPUs × the window.
    const scenario = parseScenario(
      [
        'name: until-early',
        'durationMs: 5000',
        'seed: 2',
        'machine: { vcpus: 2, guestMemoryMiB: 128, hostResidentMiB: 16, hz: 250 }',
        'backing: { kind: swap, latency: { dist: fixed, us: 2000 }, queueDepth: 1 }',
        'regions: [ { name: a, mib: 64 } ]',
        'tasks:',
        '  - { name: quick, passes: 1, program: [ { compute: { us: 0.001 } } ] }',
        '  - { name: writer, count: 2, program: [ { touch: { region: a, pattern: random, pages: 7, thinkNs: 2000 } } ] }',
        'until: { tasks: [quick] }',
        'drain: { enabled: true, maxMs: 1 }',
        '',
      ].join('\n'),
      'until-early.yaml',
    );
    for (const variant of [x86Variant, arm64SdeiVariant, syncVariant]) {
      const r = runVariant(scenario, variant);
      expect(r.run.measuredNs).toBeLessThan(100_000);
      const total = Object.values(r.metrics.vcpuTimeNs).reduce((a, b) => a + b, 0);
      expect(total, variant.id).toBe(2 * r.run.measuredNs);
    }
  });

  it('a window `until` ended early simulates as long whatever durationMs caps it (the cap is no event of the run)', () => {
    // A hostile run: the cap within the drain's reach stretched simulatedNs to it (2 s for a 131 ms run).
    const at = (durationMs: number) => runVariant({ ...fixedWork(3, true), durationMs }, x86Variant).run;
    const near = at(50);
    const far = at(5000);
    expect(near.measuredNs).toBe(far.measuredNs);
    expect(near.measuredNs).toBeLessThan(50e6);
    expect(near.simulatedNs).toBe(far.simulatedNs);
    expect(near.events).toBe(far.events);
  });

  it('`until` must name tasks that exist and exit (bad input naming the field)', () => {
    const base = TINY_SCENARIO_YAML;
    expect(() => parseScenario(`${base}until: { tasks: [nope] }\n`, 'u.yaml')).toThrow(/u\.yaml: until\.tasks\[0\]: unknown task "nope"/);
    expect(() => parseScenario(`${base}until: { tasks: [t] }\n`, 'u.yaml')).toThrow(/until\.tasks\[0\]: task "t" has no passes/);
  });
});

describe('first touch of memory the guest never wrote (facts/anchors.md §A7)', () => {
  function firstTouch(populated: boolean) {
    return smallScenario({
      durationMs: 50,
      machine: { vcpus: 1, guestMemoryMiB: 64, hostResidentMiB: 8 },
      regions: [{ name: 'array', mib: 48, populated }],
      tasks: [{ name: 'mem', passes: 1, program: [{ touch: { region: 'array', pattern: 'sequential', pages: 4096 } }] }],
    });
  }

  it('is a zero-fill with no I/O, not an asynchronous fault', () => {
    const fresh = runVariant(firstTouch(false), x86Variant);
    expect(fresh.metrics.apf.zeroFills).toBe(4096);
    expect(fresh.metrics.apf.faults).toBe(0);
    expect(fresh.metrics.swap.reads).toBe(0);
    expect(fresh.invariants.ok).toBe(true);
  });

  it('a populated region not resident is read from swap instead', () => {
    const written = runVariant(firstTouch(true), x86Variant);
    expect(written.metrics.apf.zeroFills).toBe(0);
    expect(written.metrics.swap.reads).toBeGreaterThan(0);
  });
});

describe('idle balancing (kernel/sched/fair.c sched_balance_newidle())', () => {
  function crowded(pinned: boolean) {
    // Round-robin puts c0 and c1 on vCPU 0 and the sleeper on vCPU 1, which then idles.
    const pin = (vcpu: number) => (pinned ? { vcpu } : {});
    const tasks = [
      { name: 'c0', ...pin(0), program: [{ compute: { us: 1000 } }] },
      { name: 'sleeper', ...pin(1), program: [{ sleep: { us: 1_000_000 } }] },
      { name: 'c1', ...pin(0), program: [{ compute: { us: 1000 } }] },
    ];
    const s = smallScenario({ durationMs: 100, machine: { vcpus: 2, guestMemoryMiB: 64, hostResidentMiB: 64 }, tasks });
    return runVariant(s, syncVariant).metrics;
  }

  it('an idle vCPU pulls a runnable task from the busiest run queue; pinned tasks stay', () => {
    const free = crowded(false);
    const pinned = crowded(true);
    expect(pinned.migrations).toBe(0);
    expect(pinned.work).toBeLessThan(1.01 * 100_000); // one vCPU's worth
    expect(free.migrations).toBeGreaterThan(0);
    expect(free.work).toBeGreaterThan(1.8 * 100_000); // both vCPUs busy
  });
});
