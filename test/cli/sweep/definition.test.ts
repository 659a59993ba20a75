import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pointScenarios, resolveSweep } from '../../../cli/sweep/definition.js';
import { allPoints, planRuns } from '../../../core/sweep/document.js';
import { sweepIdentity } from '../../../core/sweep/seed.js';
import { cliInProcess as cli } from '../../support/cli-in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-sweep-definition-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SWEEP = ['sweep', '--param', 'backing.latency.us=100', '--variants', 'x86', '-j', '1'];

describe('sweep --duration-ms and a sweep file\'s durationMs keep the scenario\'s bounds (hostile-test bug 9)', () => {
  it('a duration that rounds to no nanosecond is a usage error of the flag (exit 2), before anything runs', async () => {
    const r = await cli(...SWEEP, '--duration-ms', '0.0000001');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('apf-lab: --duration-ms must be at least 0.000001 ms (1 ns): shorter rounds to no time at all, got "0.0000001"');
    expect(r.out).toBe('');
  });

  it.each([
    // It said "must be a number of milliseconds above 0", which 1e-7 is.
    ['1e-7', 'must be at least 0.000001 ms (1 ns): shorter rounds to no time at all, got "1e-7"'],
    ['0', 'must be at least 0.000001 ms (1 ns): shorter rounds to no time at all, got "0"'],
    ['soon', 'must be a number of milliseconds, at least 0.000001 ms (1 ns), got "soon"'],
  ])('--duration-ms %s states the rule it breaks', async (given, message) => {
    const r = await cli(...SWEEP, '--duration-ms', given);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`apf-lab: --duration-ms ${message}`);
  });

  it('a duration past one day is a usage error of the flag too, not the scenario file\'s', async () => {
    const r = await cli(...SWEEP, '--duration-ms', '86400001');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('apf-lab: --duration-ms must be at most 86400000 ms (one day), got "86400001"');
  });

  it('in a sweep file it is bad input naming the file and the field (exit 1)', async () => {
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, 'params: { backing.latency.us: 100 }\nvariants: [x86]\ndurationMs: 0.0000001\n');
    const r = await cli('sweep', file, '-j', '1');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${file}: durationMs: must be at least 0.000001 ms (1 ns): shorter rounds to no time at all\n`);
  });
});

describe('a count past its bound says so, in a sweep file as on the command line (hostile round)', () => {
  // seeds: 1e308 said "must be at most 9007199254740991" (zod's int() bound, before the lab's), --seeds 1e308 "must be a whole number".
  it.each(['1e308', '2000000'])('a sweep file\'s seeds: %s is past 1,000,000 (a sweep\'s most runs)', async (seeds) => {
    const file = join(dir, 'seeds.yaml');
    writeFileSync(file, `params: { backing.latency.us: 100 }\nvariants: [x86]\nseeds: ${seeds}\n`);
    const r = await cli('sweep', file, '-j', '1');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${file}: seeds: must be at most 1,000,000: a sweep has at most 1,000,000 runs\n`);
  });

  it('a sweep file\'s seeds: 1.5 is not a whole number, and seed: 1e308 is out of the seeds\' range', async () => {
    const file = join(dir, 'seeds.yaml');
    writeFileSync(file, 'params: { backing.latency.us: 100 }\nvariants: [x86]\nseeds: 1.5\n');
    expect((await cli('sweep', file, '-j', '1')).err).toBe(`apf-lab: ${file}: seeds: must be a whole number\n`);
    writeFileSync(file, 'params: { backing.latency.us: 100 }\nvariants: [x86]\nseed: 1e308\n');
    expect((await cli('sweep', file, '-j', '1')).err).toMatch(/: seed: must be an integer from -9007199254740991 to 9007199254740991 /);
  });

  it.each([
    ['--seeds', '1e308', '--seeds must be at most 1,000,000, got "1e308"'],
    ['--seeds', '99999999999999999999', '--seeds must be at most 1,000,000, got "99999999999999999999"'],
    ['--jobs', '1e308', '--jobs must be at most 1,024, got "1e308"'],
    ['--shard', '1/1e308', '--shard: shard 1/1e308: at most 1,000,000 shards'],
  ])('%s %s is a usage error naming the bound (exit 2)', async (flag, value, message) => {
    // Without SWEEP's -j 1: each is refused before anything runs.
    const r = await cli(...SWEEP.slice(0, -2), '--out', join(dir, 'out'), flag, value);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`apf-lab: ${message}`);
  });
});

describe('a parameter may not set what --duration-ms or --seed sets: one would be ignored', () => {
  it('both on the command line are a usage error (exit 2), before anything runs', async () => {
    const r = await cli('sweep', '--param', 'durationMs=5,10', '--variants', 'x86', '--duration-ms', '1', '-j', '1');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('apf-lab: --duration-ms and --param durationMs both set durationMs: the parameter would overwrite it at every point (give one of them)');
    expect(r.out).toBe('');
    // seed is no parameter at all (each run's seed is derived): refused whatever else is given.
    const seed = await cli('sweep', '--param', 'seed=1,2', '--variants', 'x86', '--seed', '3', '-j', '1');
    expect(seed.code).toBe(1);
    expect(seed.err.split('\n')[0]).toBe(`apf-lab: parameter "seed": each run's seed comes from the sweep, its point and its run, whatever the scenario's; ask for more seeds with --seeds N (sweep files: seeds)`);
  });

  it('with one side from a sweep file it is bad input naming the file and its field (exit 1)', async () => {
    const both = join(dir, 'both.yaml');
    writeFileSync(both, 'params: { durationMs: [5, 10] }\nvariants: [x86]\ndurationMs: 1\n');
    const r = await cli('sweep', both, '-j', '1');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${both}: durationMs and params.durationMs both set durationMs: the parameter would overwrite it at every point (give one of them)\n`);

    const swept = join(dir, 'swept.yaml');
    writeFileSync(swept, 'params: { durationMs: [5, 10] }\nvariants: [x86]\n');
    const flag = await cli('sweep', swept, '--duration-ms', '1', '-j', '1');
    expect(flag.code).toBe(1);
    expect(flag.err).toBe(`apf-lab: ${swept}: --duration-ms and params.durationMs both set durationMs: the parameter would overwrite it at every point (give one of them)\n`);

    const fixed = join(dir, 'fixed.yaml');
    writeFileSync(fixed, 'params: { backing.latency.us: 100 }\nvariants: [x86]\nseed: 4\n');
    const param = await cli('sweep', fixed, '--param', 'seed=1,2', '-j', '1');
    expect(param.code).toBe(1);
    expect(param.err).toBe(`apf-lab: parameter "seed": each run's seed comes from the sweep, its point and its run, whatever the scenario's; ask for more seeds with --seeds N (sweep files: seeds)\n`);
  });
});

describe('a field\'s spelling does not change the sweep (hostile-test sweep defect 6)', () => {
  const define = (param: string, x?: string) => resolveSweep({ param: [param, 'backing.latency.us=100,200'], variants: ['x86'], x, allowLarge: false }).def;

  it('tasks.0.count, tasks.00.count and tasks.worker.count are one sweep, with one set of seeds', () => {
    const canonical = define('tasks.worker.count=2,4');
    for (const spelling of ['tasks.0.count=2,4', 'tasks.00.count=2,4']) {
      const def = define(spelling);
      expect(def.params.map((p) => p.name)).toEqual(['tasks.worker.count', 'backing.latency.us']);
      expect(def.identity).toBe(canonical.identity);
      expect(planRuns(def, allPoints(def))).toEqual(planRuns(canonical, allPoints(canonical)));
    }
    // -x may spell it either way too.
    expect(define('tasks.worker.count=2,4', 'tasks.0.count').x).toBe('tasks.worker.count');
  });

  it('a canonical spelling keeps its seeds: those of README\'s example runs.csv', () => {
    const def = resolveSweep({ param: ['backing.latency.us=100..10000:log:3', 'tasksPerVcpu=1,2'], variants: ['x86', 'arm64-sdei'], seeds: '2', durationMs: '100', allowLarge: false }).def;
    expect(planRuns(def, [0]).map((r) => r.seed)).toEqual([8876222515427051, 6976146367557596, 8876222515427051, 6976146367557596]);
  });
});

describe('--duration-ms below a scenario\'s event times, with those times swept (stop-21 hostile round)', () => {
  const HOTPLUG = ['sweep', '-s', 'examples/scenarios/hotplug.yaml', '--variants', 'x86', '-j', '1', '--duration-ms', '400'];

  it('runs when the swept times bring every event inside the run: the points are what is checked', () => {
    const def = resolveSweep({ scenario: 'examples/scenarios/hotplug.yaml', param: ['events.0.atMs=100,200', 'events.1.atMs=300'], variants: ['x86'], durationMs: '400', allowLarge: false }).def;
    expect(def.scenario.durationMs).toBe(400);
    expect(allPoints(def)).toEqual([0, 1]);
  });

  it('names the event the first point still leaves outside the run, with that point\'s values', async () => {
    const r = await cli(...HOTPLUG, '-p', 'events.0.atMs=100,200');
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe('apf-lab: examples/scenarios/hotplug.yaml with events.0.atMs=100: events[1].atMs: 1500 ms is not inside the run (durationMs 400), set by --duration-ms 400');
  });

  it('names a sweep file\'s durationMs where that is what puts an event outside the run', async () => {
    const file = join(dir, 'short.yaml');
    writeFileSync(file, `scenario: ${join(process.cwd(), 'examples/scenarios/hotplug.yaml')}\nparams: { backing.latency.us: 100 }\nvariants: [x86]\ndurationMs: 400\n`);
    const r = await cli('sweep', file, '-j', '1');
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(`apf-lab: ${join(process.cwd(), 'examples/scenarios/hotplug.yaml')}: events[0].atMs: 500 ms is not inside the run (durationMs 400), set by ${file}: durationMs 400`);
  });

  it('a point the size estimate refuses names where its duration came from: the flag, or the sweep file', async () => {
    const flag = await cli('sweep', '--param', 'tasksPerVcpu=1,2', '--variants', 'x86', '-j', '1', '--duration-ms', '80000000');
    expect(flag.code).toBe(1);
    expect(flag.err.split('\n')[0]).toMatch(/^apf-lab: overcommit with tasksPerVcpu=1: durationMs: about [\d.]+e\+9 events expected, .*to run it anyway \(durationMs 80000000 is set by --duration-ms 80000000\)$/);
    const file = join(dir, 'long.yaml');
    writeFileSync(file, 'params: { tasksPerVcpu: [1, 2] }\nvariants: [x86]\ndurationMs: 80000000\n');
    const fromFile = await cli('sweep', file, '-j', '1');
    expect(fromFile.code).toBe(1);
    expect(fromFile.err.split('\n')[0]).toMatch(/\(durationMs 80000000 is set by .*long\.yaml: durationMs 80000000\)$/);
    // A duration the sweep's parameter sets is named with the point's values already.
    const swept = await cli('sweep', '--param', 'durationMs=80000000', '--variants', 'x86', '-j', '1');
    expect(swept.code).toBe(1);
    expect(swept.err.split('\n')[0]).toMatch(/^apf-lab: overcommit with durationMs=80000000: durationMs: about .*to run it anyway$/);
  });

  it('gives the base scenario\'s own error where the sweep does not touch what is wrong', async () => {
    const r = await cli(...HOTPLUG, '-p', 'backing.latency.us=100,200');
    expect(r.code).toBe(1);
    // The file itself is valid: the duration the sweep gave it is named (hostile round AA).
    expect(r.err.split('\n')[0]).toBe('apf-lab: examples/scenarios/hotplug.yaml: events[0].atMs: 500 ms is not inside the run (durationMs 400), set by --duration-ms 400');
  });
});

describe('sweep points checked in a sweep file and across shards (third hostile round)', () => {
  it('a sweep file\'s bad value at the first point is named with the file and its params field, as at any other point', async () => {
    const sweepFile = join(dir, 'first-point.yaml');
    writeFileSync(sweepFile, `scenario: ${join(process.cwd(), 'examples/scenarios/hotplug.yaml')}\nvariants: [x86]\ndurationMs: 400\nparams:\n  events.0.atMs: [100, 200]\n`);
    const r = await cli('sweep', sweepFile, '-j', '1');
    expect(r.code).toBe(1);
    expect(r.err.split('\n')[0]).toBe(`apf-lab: ${sweepFile}: params: ${join(process.cwd(), 'examples/scenarios/hotplug.yaml')} with events.0.atMs=100: events[1].atMs: 1500 ms is not inside the run (durationMs 400), set by ${sweepFile}: durationMs 400`);
  });

  it('every shard refuses a sweep with a bad point, not only the shard that holds it', async () => {
    const bad = ['sweep', '--param', 'backing.latency.us=100,200,-5', '--variants', 'x86', '-j', '1', '--duration-ms', '5'];
    for (const shard of ['1/3', '3/3']) {
      const r = await cli(...bad, '--shard', shard, '--out', join(dir, `shard-${shard.replace('/', '-')}`));
      expect(r.code, shard).toBe(1);
      expect(r.err, shard).toMatch(/backing\.latency\.us=-5/);
    }
  });
});

describe('a sweep checks every known variant\'s knobs, as run and compare do (hostile sweep defect D3)', () => {
  // It checked only the swept variants': a sweep of x86 ran, and recorded, a scenario `apf-lab run x86` refuses.
  it('refuses a scenario file with an arm64 knob no arm64 variant takes, sweeping x86 only, in run\'s words', async () => {
    const file = join(dir, 'arch-ppi-15.yaml');
    writeFileSync(file, `${readFileSync('scenarios/overcommit.yaml', 'utf8')}\narch: { arm64: { ppi: 15 } }\n`);
    const message = `${file}: arch.arm64.ppi: 15 is not a PPI INTID (16–31; 0 = unset)`;
    expect(() => resolveSweep({ scenario: file, param: ['backing.latency.us=100'], variants: ['x86'], allowLarge: false })).toThrow(message);
    const run = await cli('run', 'x86', '-s', file);
    expect(run.err).toBe(`apf-lab: ${message}\n`);
  });

  it.each([
    ['x86', 'arch.arm64.ppi=16,15', 'overcommit with arch.arm64.ppi=15: arch.arm64.ppi: 15 is not a PPI INTID (16–31; 0 = unset)'],
    ['x86', 'arch.arm64.ppi=16,26', 'overcommit with arch.arm64.ppi=26: arch.arm64.ppi: 26 is a timer\'s'],
    ['arm64-sdei', 'arch.x86.vector=250,14', 'overcommit with arch.x86.vector=14: arch.x86.vector: 14 is not an interrupt vector (32–255; 0–31 are exceptions)'],
  ])('sweeping %s, refuses the point of %s that another architecture\'s variants refuse', (variant, param, message) => {
    const sweep = resolveSweep({ param: [param], variants: [variant], durationMs: '1', allowLarge: false });
    expect(() => pointScenarios(sweep, allPoints(sweep.def), false)).toThrow(message);
  });
});
