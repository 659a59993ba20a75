import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSweep } from '../../cli/sweep/definition.js';
import { SweepProgress, sweepProgressText } from '../../cli/sweep/progress.js';
import { partView, sweepView } from '../../cli/sweep/view.js';
import { defineSweep, sweepDocument, sweepVariant } from '../../core/sweep/document.js';
import { x86Variant } from '../../index.js';
import { smallScenario } from '../support/scenarios.js';
import { cliInProcess } from '../support/cli-in-process.js';
import { FAKE_BUILD, fakePart, fakeSweep } from '../support/sweep-parts.js';

const cli = cliInProcess;
/** A run where no fault completed has none of the three latencies. */
const NO_LATENCY = { 'faultLatency.p50': null, 'faultLatency.p99': null, 'faultLatency.max': null };

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('apf-lab sweep: the command line, before anything runs', () => {
  it.each([
    [['--param', 'tasksPerVcpu', '--variants', 'x86'], '--param takes NAME=SPEC (e.g. tasksPerVcpu=1..8), got "tasksPerVcpu"'],
    [['--param', 'tasksPerVcpu=8..1', '--variants', 'x86'], '--param tasksPerVcpu: range 8..1 runs backwards: give the smaller end first'],
    [['--param', 'tasksPerVcpu=1..2'], 'name the variants to sweep: --variants x86,arm64-sdei (see `apf-lab list`)'],
    [['--variants', 'x86'], 'name a parameter to sweep: --param NAME=SPEC (e.g. --param backing.latency.us=50..10000:log:8)'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--metric', 'speed'], '--metric: unknown metric "speed" (known: work, faults, apfs,'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '-x', 'vcpus'], '-x: "vcpus" is not a swept parameter (swept: tasksPerVcpu)'],
    // yargs takes --x for -x too; the message names it as --help lists it.
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--x', 'vcpus'], '-x: "vcpus" is not a swept parameter (swept: tasksPerVcpu)'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--shard', '1/3'], '--shard needs --out DIR, where its part file goes'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--shard', '3/2', '--out', dir], '--shard: shard 3/2: i must be from 1 to n'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--jobs', '0'], '--jobs must be a whole number from 1 to 1,024, got "0"'],
    // An empty item said only "name the variants to sweep".
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86,,arm64-sdei'], '--variants "x86,,arm64-sdei": item 2 of 3 is empty: separate the ids with single commas (e.g. x86,arm64-sdei)'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86,'], '--variants "x86,": item 2 of 2 is empty'],
    [['--param', 'tasksPerVcpu=1', '--variants', ' '], '--variants needs a value: variant ids, comma-separated (see `apf-lab list`)'],
    // NaN and Infinity went on as words and failed at the scenario (exit 1, "expected number, received string"), unlike 1e400.
    [['--param', 'backing.latency.us=1e400', '--variants', 'x86'], '--param backing.latency.us: value "1e400" is not a finite number'],
    [['--param', 'backing.latency.us=NaN', '--variants', 'x86'], '--param backing.latency.us: value "NaN" is not a finite number'],
    [['--param', 'backing.latency.us=100,-Infinity', '--variants', 'x86'], '--param backing.latency.us: value "-Infinity" is not a finite number'],
    [['-p', 'tasks.writer.count=1..3', '-p', 'tasksPerVcpu=1,2', '--variants', 'x86'], 'parameters tasks.writer.count and tasksPerVcpu both set tasks.writer.count: one would overwrite the other at every point, so its axis would mean nothing (sweep one of them)\n'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await cli('sweep', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`apf-lab: ${message}`);
    expect(r.out).toBe('');
  });

  it("README's synopsis spells every option as --help lists it (README had --x, help and errors -x)", async () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### `apf-lab sweep'));
    const synopsis = section.slice(section.indexOf('```sh'), section.indexOf('```\n', section.indexOf('```sh') + 5));
    const help = (await cli('sweep', '--help')).out;
    const listed = new Set(help.split('\n').flatMap((l) => /^\s+(?:(-\w),? ?)?\s*(--[\w-]+)?\s/.exec(l)?.slice(1).filter(Boolean) ?? []));
    const used = synopsis.match(/(?<![\w-])--?[a-z][\w-]*/g) ?? [];
    expect(used).toContain('-x');
    for (const flag of used) expect(listed, flag).toContain(flag);
  });

  it('an unknown option stops it before it runs or writes anything', async () => {
    const out = join(dir, 'never');
    const r = await cli('sweep', '--param', 'tasksPerVcpu=1', '--variants', 'x86', '--out', out, '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^apf-lab: Unknown argument: --frobnicate\n/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [['--param', 'backing.latency.us=-5,10'], 'apf-lab: overcommit with backing.latency.us=-5: backing.latency.us: must not be negative\n'],
    // Named before any point is built, as an unknown group is (it said "overcommit with machine.vcpuz=1: machine: unknown field(s): vcpuz").
    [
      ['--param', 'machine.vcpuz=1,2'],
      'apf-lab: parameter "machine.vcpuz": machine has no field "vcpuz" (it has: vcpus, guestMemoryMiB, hostResidentMiB, hz, scheduler, sliceUs, contextSwitchNs, preemption, touchNs, anonFaultNs, guestKernelPages, hostThp, hugeClearUs)\n',
    ],
    [['--param', 'machine.preemption=none,eager'], 'apf-lab: overcommit with machine.preemption=eager: machine.preemption: expected one of none, voluntary, full, got "eager"\n'],
    // A swept seed was replaced by each run's derived seed: the same figures at every value.
    [['--param', 'seed=1,2'], "apf-lab: parameter \"seed\": each run's seed comes from the sweep, its point and its run, whatever the scenario's; ask for more seeds with --seeds N (sweep files: seeds)\n"],
  ])('%j is bad input (exit 1) naming the point and the field', async (args, message) => {
    const r = await cli('sweep', '--variants', 'x86', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toBe(message);
  });

  it('two parameters of a sweep file that set one field are bad input naming the file (exit 1)', async () => {
    const file = join(dir, 'overlap-sweep.yaml');
    writeFileSync(file, 'params:\n  residentShare: 0.5\n  machine.hostResidentMiB: 256\nvariants: [x86]\n');
    const r = await cli('sweep', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${file}: params: parameters residentShare and machine.hostResidentMiB both set machine.hostResidentMiB: one would overwrite the other at every point, so its axis would mean nothing (sweep one of them)\n`);
  });

  it('a value of a sweep file\'s params that the scenario refuses names the file and the field (exit 1)', async () => {
    const file = join(dir, 'bool-sweep.yaml');
    writeFileSync(file, 'params:\n  backing.latency.us: [100, "200", true]\nvariants: [x86]\n');
    const r = await cli('sweep', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${file}: params: overcommit with backing.latency.us=true: backing.latency.us: must be a number, got true\n`);
  });

  it('an unknown parameter name is refused before anything runs, one segment or more, naming what the scenario has there', async () => {
    const has = '(it has: name, description, durationMs, seed, machine, backing, regions, tasks, drain, costs, arch; or a named parameter: tasksPerVcpu, residentShare)';
    // foo=1 failed only at the first point: "overcommit with foo=1: (top level): unknown field(s): foo".
    for (const name of ['foo', 'foo.bar']) {
      const r = await cli('sweep', '--param', `${name}=1`, '--variants', 'x86');
      expect(r.err).toBe(`apf-lab: parameter "${name}": the scenario has no field "foo" ${has}\n`);
      expect(r.code).toBe(1);
    }
    const deep = await cli('sweep', '--param', 'machine.foo=1', '--variants', 'x86');
    expect(deep.err).toMatch(/^apf-lab: parameter "machine.foo": machine has no field "foo" \(it has: vcpus, guestMemoryMiB, .*\)\n$/);
    // From a sweep file, the file and params lead, as README says of its values (foo.bar had no prefix).
    for (const name of ['foo', 'foo.bar']) {
      const file = join(dir, 'unknown-name-sweep.yaml');
      writeFileSync(file, `params:\n  ${name}: 1\nvariants: [x86]\n`);
      const r = await cli('sweep', file);
      expect(r.err).toBe(`apf-lab: ${file}: params: parameter "${name}": the scenario has no field "foo" ${has}\n`);
      expect(r.code).toBe(1);
    }
  });

  it.each([
    ['', 'variants: name the variants to sweep (e.g. variants: [x86, arm64-sdei]), or give --variants'],
    ['params: {}\n', 'variants: name the variants to sweep (e.g. variants: [x86, arm64-sdei]), or give --variants'],
    ['params: {}\nvariants: [x86]\n', 'params: name a parameter to sweep (e.g. params: { backing.latency.us: 50..10000:log:8 }), or give --param NAME=SPEC'],
  ])('a sweep file %j without variants or parameters is bad input naming the file and the field (it named only the flags)', async (text, message) => {
    const file = join(dir, 'incomplete-sweep.yaml');
    writeFileSync(file, text);
    const r = await cli('sweep', file);
    expect(r.err).toBe(`apf-lab: ${file}: ${message}\n`);
    expect(r.code).toBe(1);
  });

  it('one point, variant and seed are counted in the singular (it said "1 point × 1 variant × 1 seed = 1 runs")', () => {
    const def = defineSweep({
      scenario: smallScenario(),
      params: [{ name: 'tasksPerVcpu', spec: '1', values: [1] }],
      variants: [sweepVariant(x86Variant)],
      seeds: 1,
      metric: 'work',
      x: 'tasksPerVcpu',
    });
    expect(partView(def, fakePart(def, 1, 1).runs, []).header).toEqual(['sweep of small: 1 point × 1 variant × 1 seed = 1 run', '  tasksPerVcpu = 1 (1 value)']);
  });

  it('too many runs are counted in words that agree, with separators (it said "1 points × 1 variants × 100000000 seeds")', async () => {
    const r = await cli('sweep', '--param', 'tasksPerVcpu=1', '--variants', 'x86,arm64-sdei', '--seeds', '1000000');
    expect(r.err).toBe('apf-lab: 1 point × 2 variants × 1,000,000 seeds = 2,000,000 runs, more than the 1,000,000 one sweep may have: split it into several\n');
    expect(r.code).toBe(1);
    // More seeds than a sweep has runs is past --seeds' own bound, a usage error.
    const seeds = await cli('sweep', '--param', 'tasksPerVcpu=1', '--variants', 'x86', '--seeds', '100000000');
    expect(seeds.err.split('\n')[0]).toBe('apf-lab: --seeds must be at most 1,000,000, got "100000000"');
    expect(seeds.code).toBe(2);
  });

  it.each([
    // It named only "nonexist", not where it came from.
    ['scenario: nonexist\nparams: { backing.latency.us: 100 }\nvariants: [x86]\n', /^scenario: nonexist: no such scenario file or built-in name \(built-ins: /],
    // These said "Invalid input".
    ['params: { backing.latency.us: .inf }\nvariants: [x86]\n', /^params.backing.latency.us: must be a finite number, got .inf$/],
    ['params: { backing.latency.us: [100, -.inf] }\nvariants: [x86]\n', /^params.backing.latency.us.1: must be a finite number, got -.inf$/],
    ['params: { backing.latency.us: [100, .nan] }\nvariants: [x86]\n', /^params.backing.latency.us.1: must be a finite number, got .nan$/],
    ['params: { backing.latency.us: null }\nvariants: [x86]\n', /^params.backing.latency.us: has no value: give a spec \(50..10000:log:8\), a value or a list of values$/],
    ['params: { backing.latency.us: [100, ~] }\nvariants: [x86]\n', /^params.backing.latency.us.1: has no value: give a number, a word or true\/false$/],
    ['params: { backing.latency.us: { a: 1 } }\nvariants: [x86]\n', /^params.backing.latency.us: must be a spec \(50..10000:log:8\), a value or a list of values, not a mapping$/],
    ['params: { backing.latency.us: [[1]] }\nvariants: [x86]\n', /^params.backing.latency.us.0: must be a number, a word or true\/false, not a list inside a list$/],
    ['params: { backing.latency.us: [] }\nvariants: [x86]\n', /^params.backing.latency.us: needs at least one value$/],
    // The schema library's words (hostile round AB): "Invalid input: expected number, received string".
    ['params: { backing.latency.us: 100 }\nvariants: [x86]\nseeds: x\n', /^seeds: must be a number, got "x"$/],
  ])('a sweep file %j is bad input naming the file, the field and why (exit 1)', async (text, message) => {
    const file = join(dir, 'wording-sweep.yaml');
    writeFileSync(file, text);
    const r = await cli('sweep', file);
    expect(r.code).toBe(1);
    expect(r.err.startsWith(`apf-lab: ${file}: `)).toBe(true);
    expect(r.err.slice(`apf-lab: ${file}: `.length).trimEnd()).toMatch(message);
  });

  it('a sweep file is checked like a scenario file: the field and why', async () => {
    const file = join(dir, 'bad-sweep.yaml');
    writeFileSync(file, 'params:\n  tasksPerVcpu: 1..2\nvariants: [x86]\nseeds: 0\n');
    const r = await cli('sweep', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${file}: seeds: must be at least 1\n`);
  });
});

describe('apf-lab sweep merge', () => {
  const def = fakeSweep();
  const write = (name: string, data: unknown) => {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(data));
    return f;
  };
  const parts = [1, 2].map((i) => write(`part-${i}-of-2.json`, fakePart(def, i, 2)));

  it('writes runs.csv, summary.csv, sweep.json and the chart, and prints the table', async () => {
    const out = join(dir, 'merged');
    const r = await cli('sweep', 'merge', ...parts, '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['chart.svg', 'runs.csv', 'summary.csv', 'sweep.json']);
    expect(r.out).toContain('sweep of small: 6 points × 2 variants × 2 seeds = 24 runs\n');
    // work of point p, run r: (p + 1) × 1000 + 10 r (+ 500 for arm64-sdei); at 50 µs, points 0 and 1.
    expect(r.out).toMatch(/\nwork, mean over the seeds and tasksPerVcpu \(units, 1 = 1 µs of task compute\):\n\nbacking\.latency\.us +x86 +arm64-sdei\n50 +1,505 +2,005\n500 +3,505 +4,005\n/);
    const runs = readFileSync(join(out, 'runs.csv'), 'utf8').split('\n');
    expect(runs[0]).toMatch(/^point,backing\.latency\.us,tasksPerVcpu,variant,run,seed,work,faults,/);
    expect(runs).toHaveLength(1 + 24 + 1);
    const summary = readFileSync(join(out, 'summary.csv'), 'utf8').split('\n');
    expect(summary[0]).toMatch(/^point,backing\.latency\.us,tasksPerVcpu,variant,seeds,work\.mean,work\.min,work\.max,/);
    expect(summary[1]).toMatch(/^0,50,1,x86,2,1005,1000,1010,/);
    const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg.match(/<path d="M/g)).toHaveLength(2);
    expect(svg).toContain('line: mean over 2 seeds × 2 values of tasksPerVcpu; bar: min to max');
    expect(JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).summary).toHaveLength(12);
  });

  it('records each run\'s measured window and work per measured second, and says when the windows differ (until)', async () => {
    const out = join(dir, 'merged-windows');
    const until = fakeSweep(2, smallScenario({ until: { tasks: ['writer'] } }));
    const r = await cli('sweep', 'merge', ...[1, 2].map((i) => write(`until-${i}-of-2.json`, fakePart(until, i, 2))), '--out', out);
    expect(r.code).toBe(0);
    // The fake parts' windows run from 194 to 200 ms (test/support/sweep-parts.ts, as until gives them).
    expect(r.out).toContain("\nthe measured windows differ (until ends them: 194 to 200 ms): totals are over each run's own window; workPerSecond compares work across them\n");
    // Without until, the whole window: nothing to say.
    expect((await cli('sweep', 'merge', ...parts)).out).not.toContain('the measured windows differ');
    // A swept durationMs is why, not until (it blamed until in a sweep without one).
    const durations = defineSweep({ ...def, params: [{ name: 'durationMs', spec: '10,20', values: [10, 20] }], x: 'durationMs' });
    const swept = await cli('sweep', 'merge', ...[1, 2].map((i) => write(`dur-${i}-of-2.json`, fakePart(durations, i, 2))));
    expect(swept.out).toContain('\nthe measured windows differ (durationMs is swept: 10 to 20 ms): ');
    // Both ends with the decimals that tell them apart ("20.00 to 20").
    const close = fakePart(until, 1, 1);
    const runs = close.runs.map((r, k) => ({ ...r, metrics: { ...r.metrics, measuredMs: k === 0 ? 19.9999 : 20 } }));
    expect(sweepView(sweepDocument(until, runs, FAKE_BUILD), []).notes).toContain(
      "the measured windows differ (until ends them: 19.9999 to 20.0000 ms): totals are over each run's own window; workPerSecond compares work across them",
    );
    const [head, first] = readFileSync(join(out, 'runs.csv'), 'utf8').split('\n');
    // Added after the figures sweeps had, so no column moves; stoppedEarly stays last.
    expect(head).toMatch(/,unsafeInjections,violations,measuredMs,workPerSecond,stoppedEarly$/);
    const work = Number(first.split(',')[head.split(',').indexOf('work')]);
    expect(first.endsWith(`,0,200,${(work * 1000) / 200},`)).toBe(true);
    const doc = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(doc.format).toBe('apf-lab sweep v5');
    expect(doc.metrics.map((m: { name: string }) => m.name).slice(-2)).toEqual(['measuredMs', 'workPerSecond']);
    // Drawn by the rate, the note has nothing to add.
    const rate = await cli('sweep', 'merge', write('rate-1-of-2.json', fakePart({ ...def, metric: 'workPerSecond' }, 1, 2)), write('rate-2-of-2.json', fakePart({ ...def, metric: 'workPerSecond' }, 2, 2)));
    expect(rate.code).toBe(0);
    expect(rate.out).toContain('workPerSecond, mean over the seeds and tasksPerVcpu (units per measured second):');
    expect(rate.out).not.toContain('the measured windows differ');
  });

  it('a point where no fault completed has no latency: null in JSON, empty in CSV, "—" in the table, left out of the chart', async () => {
    // Point 0 (backing.latency.us = 50, tasksPerVcpu = 1): no run has a latency; point 2 (500, 1): only x86's run 1 has one.
    const latencyDef = { ...def, metric: 'faultLatency.p99' };
    const none = (r: { point: number; variant: string; run: number }) => r.point === 0 || (r.point === 2 && !(r.variant === 'x86' && r.run === 1));
    const latencyPart = (i: number) => {
      const p = fakePart(latencyDef, i, 2);
      const runs = p.runs.map((r) => (none(r) ? { ...r, metrics: { ...r.metrics, ...NO_LATENCY } } : r));
      return { ...p, runs };
    };
    const out = join(dir, 'merged-latency');
    const r = await cli('sweep', 'merge', write('lat-1-of-2.json', latencyPart(1)), write('lat-2-of-2.json', latencyPart(2)), '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // x = 50 averages points 0 and 1: only point 1's runs count; x = 500 (points 2, 3) likewise, plus x86's one run at point 2.
    // Both are means over only some of the runs there: marked.
    expect(r.out).toMatch(/\nbacking\.latency\.us +x86 +arm64-sdei\n50 +2,017\* +2,517\*\n500 +3,685\.3\* +4,517\*\n5000 +5,517 +6,017\n/);
    expect(r.out).not.toContain('—'); // every x value still has runs with a latency

    const rows = (f: string) => readFileSync(join(out, f), 'utf8').trimEnd().split('\n').map((l) => l.split(','));
    const [head, ...runs] = rows('runs.csv');
    const col = (name: string) => head.indexOf(name);
    expect(runs[0].slice(col('faultLatency.p50'), col('faultLatency.max') + 1)).toEqual(['', '', '']);
    expect(runs[0][col('work')]).toBe('1000');
    const [sHead, ...summary] = rows('summary.csv');
    expect(summary[0].slice(sHead.indexOf('faultLatency.p99.mean'), sHead.indexOf('faultLatency.p99.max') + 1)).toEqual(['', '', '']);
    // x86 at point 2: the one run with a latency (run 1: 3000 + 10 + 12, the fake's 13th metric).
    expect(summary[4].slice(sHead.indexOf('faultLatency.p99.mean'), sHead.indexOf('faultLatency.p99.max') + 1)).toEqual(['3022', '3022', '3022']);

    const doc = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(doc.runs[0].metrics['faultLatency.p99']).toBeNull();
    expect(doc.summary[0].metrics['faultLatency.p99']).toBeNull();
    expect(doc.summary[0].metrics.work).toEqual({ mean: 1005, min: 1000, max: 1010 });

    // Only the points with a latency are drawn: 3 x values, each with runs, so 3 circles per variant.
    const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).not.toMatch(/mean null|NaN/);
  });

  it('a mean over only some of the runs at an x value is marked, with a note', async () => {
    const latencyDef = { ...def, metric: 'faultLatency.p99' };
    // Point 2 only (one of the two points at backing.latency.us = 500) has no latency.
    const part = fakePart(latencyDef, 1, 1);
    const partial = { ...part, runs: part.runs.map((r) => (r.point === 2 ? { ...r, metrics: { ...r.metrics, ...NO_LATENCY } } : r)) };
    const r = await cli('sweep', 'merge', write('partial-1-of-1.json', partial), '--out', join(dir, 'merged-partial'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n500 +[\d.,]+\* +[\d.,]+\*\n/);
    expect(r.out).toContain('*: the mean of the runs there that have this figure; in the others no fault completed');
    expect(r.out).not.toContain('—: no run there');
  });

  it('an x value where no run has the figure is "—" in the table and breaks the chart\'s line', async () => {
    const latencyDef = { ...def, metric: 'faultLatency.p99' };
    // backing.latency.us = 500 is points 2 and 3: no latency at either.
    const latencyPart = (i: number) => {
      const p = fakePart(latencyDef, i, 1);
      return { ...p, runs: p.runs.map((r) => (r.point === 2 || r.point === 3 ? { ...r, metrics: { ...r.metrics, ...NO_LATENCY } } : r)) };
    };
    const out = join(dir, 'merged-gap');
    const r = await cli('sweep', 'merge', write('gap-1-of-1.json', latencyPart(1)), '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\n500 +— +—\n/);
    expect(r.out).toContain('—: no run there has this figure (no fault completed)');
    const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
    expect(svg.match(/<circle /g)).toHaveLength(4);
    // Two separate pieces per variant (a move, no line, across the gap): M at 50, M again at 5000.
    for (const d of svg.match(/<path d="([^"]*)" fill="none"/g)!) expect(d).toMatch(/^<path d="M[\d.]+,[\d.]+M[\d.]+,[\d.]+"/);
  });

  it('keeps why a run stopped early through the merge, and counts the runs that did by reason (hostile-test sweep defect 7)', async () => {
    const spinning = 'stopped at 1234 ns: 100000 events at 1234 ns without simulated time advancing: a vCPU is spinning';
    const stopped = (i: number) => {
      const p = fakePart(def, i, 2);
      const why = (k: number) => (k === 0 ? 'drain timed out' : k === 2 ? spinning : k === 5 ? 'drain timed out' : null);
      return { ...p, runs: p.runs.map((r, k) => ({ ...r, stoppedEarly: i === 1 ? why(k) : null })) };
    };
    const out = join(dir, 'merged-stopped');
    const r = await cli('sweep', 'merge', write('stop-1-of-2.json', stopped(1)), write('stop-2-of-2.json', stopped(2)), '--out', out);
    expect(r.err).toBe('');
    expect(r.out).toContain(
      '\n\n3 of 24 runs stopped early (drain timed out: 2; 100000 events at 1234 ns without simulated time advancing: a vCPU is spinning: 1): runs.csv and sweep.json say which, in stoppedEarly;\ntheir figures leave out what was still to happen when they stopped\n',
    );
    const runs = readFileSync(join(out, 'runs.csv'), 'utf8').split('\n');
    expect(runs[1]).toMatch(/,drain timed out$/);
    expect(runs[2]).toMatch(/,[\d.]+,$/); // not stopped: an empty last field
    expect(runs.find((l) => l.includes('spinning'))).toMatch(/,stopped at 1234 ns: 100000 events at 1234 ns without simulated time advancing: a vCPU is spinning$/);
    // A part's reason must be a reason or null.
    const bad = { ...fakePart(def, 1, 2), runs: fakePart(def, 1, 2).runs.map((r, k) => (k === 0 ? { ...r, stoppedEarly: 7 } : r)) };
    expect((await cli('sweep', 'merge', write('stop-bad-1-of-2.json', bad), parts[1])).code).toBe(1);
  });

  it('refuses parts of one variant id with different knobs: two designs, not one sweep', async () => {
    // The same id and mechanisms from two variant files, one turning off PV EOI and APICv.
    const spec = 'id: myx\narch: x86\ntitle: mine\norigin: a test\nmechanisms: { enable: msr-pv-en-int, notPresent: pf-cr2, ready: apic-vector, token: cr2, eligibility: user-mode-if, wake: irq-handler, ack: apic-vector-ack-msr }\n';
    writeFileSync(join(dir, 'myx-a.yaml'), spec);
    writeFileSync(join(dir, 'myx-b.yaml'), `${spec}knobs: { pvEoi: 0, apicv: 0 }\n`);
    const def = (variantFile: string) =>
      resolveSweep({ param: ['backing.latency.us=100,1000'], variants: ['myx'], variantFile: [join(dir, variantFile)], allowLarge: false }).def;
    const a = write('myx-1-of-2.json', fakePart(def('myx-a.yaml'), 1, 2));
    const b = write('myx-2-of-2.json', fakePart(def('myx-b.yaml'), 2, 2));
    const r = await cli('sweep', 'merge', a, b, '--out', join(dir, 'myx-merged'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${a} and ${b} are slices of different sweeps (they differ in variants: myx's knobs: apicv 1 and 0, pvEoi 1 and 0)\n`);
    expect(existsSync(join(dir, 'myx-merged'))).toBe(false);
  });

  it('refuses a part of the old format, whose variants do not record their knobs', async () => {
    const old = write('old-1-of-1.json', { ...fakePart(def, 1, 1), format: 'apf-lab sweep part v1' });
    const r = await cli('sweep', 'merge', old);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${old}: written by an older apf-lab (apf-lab sweep part v1, which does not record the variants' knobs): run its shard again\n`);
  });

  it('refuses an edited figure whose summary would be Infinity, and writes nothing', async () => {
    const p = fakePart(def, 1, 2);
    // Both seeds of point 0: their mean would overflow to Infinity (∞ in the table, NaN in the chart).
    const edited = write('huge-1-of-2.json', { ...p, runs: p.runs.map((r, i) => (i < 2 ? { ...r, metrics: { ...r.metrics, work: 1e308 } } : r)) });
    const out = join(dir, 'huge-merged');
    const r = await cli('sweep', 'merge', edited, parts[1], '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${edited}: runs.0.metrics.work: must be below 2^53: no run gives that much (was the file edited?)\n`);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a missing slice with one line, exit 1, and writes nothing', async () => {
    const out = join(dir, 'not-merged');
    const r = await cli('sweep', 'merge', parts[1], '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toBe('apf-lab: missing slice 1/2 of the 2 shards\n');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a file that is not JSON, or not there', async () => {
    const notJson = write('notjson.json', '');
    writeFileSync(notJson, 'params: {}');
    expect((await cli('sweep', 'merge', notJson)).err).toMatch(/^apf-lab: .*notjson\.json: not JSON \(/);
    expect((await cli('sweep', 'merge', join(dir, 'nope.json'))).err).toMatch(/nope\.json: cannot read it \(no such file\)\n$/);
    // The same capped reader as scenario, patch and capture files (core/read-capped.ts).
    expect((await cli('sweep', 'merge', dir)).err).toMatch(/: a directory, not a sweep part \(JSON\)\n$/);
  });

  it('takes none of the sweep\'s options', async () => {
    const r = await cli('sweep', 'merge', ...parts, '--param', 'x=1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^apf-lab: Unknown argument: --param\n/);
  });
});

describe('the progress bar', () => {
  it('shows runs done, the share and the time left', () => {
    expect(sweepProgressText(30, 80, 12_400, 100)).toBe('apf-lab: sweep [#########---------------] 30/80 runs (37 %), ETA 13 s; Ctrl-C stops');
    expect(sweepProgressText(1, 80, null, 100)).toBe('apf-lab: sweep [------------------------] 1/80 runs (1 %); Ctrl-C stops');
    expect(sweepProgressText(2, 900, 3_725_000, 100)).toMatch(/ETA 1 h 02 min;/);
  });

  it('fits an 80-column terminal, or the width stderr reports, dropping the least needed first (hostile-test sweep defect 11)', () => {
    // These were 82 and 98 characters: an 80-column terminal wrapped them, and each redraw added a line.
    expect(sweepProgressText(15, 16, 900)).toBe('apf-lab: sweep [####################-] 15/16 runs (93 %), ETA 1 s; Ctrl-C stops');
    expect(sweepProgressText(123_456, 1_000_000, 3_725_000)).toBe('apf-lab: sweep [##-----------------] 123456/1000000 runs (12 %), ETA 1 h 02 min');
    expect(sweepProgressText(123_456, 1_000_000, 3_725_000, 60)).toBe('apf-lab: sweep 123456/1000000 runs, ETA 1 h 02 min');
    expect(sweepProgressText(123_456, 1_000_000, 3_725_000, 50)).toBe('sweep 123456/1000000 runs, ETA 1 h 02 min');
    expect(sweepProgressText(123_456, 1_000_000, 3_725_000, 20)).toBe('sweep 123456/100000');
    for (const columns of [1, 10, 40, 79, 80, 81, 120, 300]) {
      for (const [done, total, eta] of [[0, 1, null], [15, 16, 900], [999_999, 1_000_000, 359_999_000]] as const) {
        expect(sweepProgressText(done, total, eta, columns).length).toBeLessThanOrEqual(Math.max(1, columns - 1));
      }
    }
  });

  it('reads the width from the stream at each redraw', () => {
    const written: string[] = [];
    const stream = { isTTY: true, columns: 50, write: (t: string) => written.push(t) };
    const progress = new SweepProgress(16, stream);
    progress.update(16);
    stream.columns = 200;
    progress.update(16);
    const lines = written.map((t) => t.replace('\r\x1b[K', ''));
    expect(lines[0].length).toBeLessThanOrEqual(49);
    expect(lines[1]).toBe('apf-lab: sweep [########################] 16/16 runs (100 %); Ctrl-C stops');
  });
});
