import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepProgressText } from '../../cli/sweep/progress.js';
import { cliInProcess } from '../support/cli-in-process.js';
import { fakePart, fakeSweep } from '../support/sweep-parts.js';

const cli = cliInProcess;

const dir = mkdtempSync(join(tmpdir(), 'apf-lab-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('apf-lab sweep: the command line, before anything runs', () => {
  it.each([
    [['--param', 'tasksPerVcpu', '--variants', 'x86'], '--param takes NAME=SPEC (e.g. tasksPerVcpu=1..8), got "tasksPerVcpu"'],
    [['--param', 'tasksPerVcpu=8..1', '--variants', 'x86'], '--param tasksPerVcpu: range 8..1 runs backwards: give the smaller end first'],
    [['--param', 'tasksPerVcpu=1..2'], 'name the variants to sweep: --variants x86,arm64-sdei (see `apf-lab list`)'],
    [['--variants', 'x86'], 'name a parameter to sweep: --param NAME=SPEC (e.g. --param backing.latency.us=50..10000:log:8)'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--metric', 'speed'], '--metric: unknown metric "speed" (known: work, faults, apfs,'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--x', 'vcpus'], '--x: "vcpus" is not a swept parameter (swept: tasksPerVcpu)'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--shard', '1/3'], '--shard needs --out DIR, where its part file goes'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--shard', '3/2', '--out', dir], '--shard: shard 3/2: i must be from 1 to n'],
    [['--param', 'tasksPerVcpu=1', '--variants', 'x86', '--jobs', '0'], '--jobs must be a whole number from 1 to 1024, got "0"'],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await cli('sweep', ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`apf-lab: ${message}`);
    expect(r.out).toBe('');
  });

  it('an unknown option stops it before it runs or writes anything', async () => {
    const out = join(dir, 'never');
    const r = await cli('sweep', '--param', 'tasksPerVcpu=1', '--variants', 'x86', '--out', out, '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^apf-lab: Unknown argument: frobnicate\n/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    [['--param', 'backing.latency.us=-5,10'], 'apf-lab: overcommit with backing.latency.us=-5: backing.latency.us: must not be negative\n'],
    [['--param', 'machine.vcpuz=1,2'], 'apf-lab: overcommit with machine.vcpuz=1: machine: unknown field(s): vcpuz\n'],
    [['--param', 'machine.preemption=none,eager'], 'apf-lab: overcommit with machine.preemption=eager: machine.preemption: expected one of none, voluntary, full, got "eager"\n'],
  ])('%j is bad input (exit 1) naming the point and the field', async (args, message) => {
    const r = await cli('sweep', '--variants', 'x86', ...args);
    expect(r.code).toBe(1);
    expect(r.err).toBe(message);
  });

  it('a sweep file is checked like a scenario file: the field and why', async () => {
    const file = join(dir, 'bad-sweep.yaml');
    writeFileSync(file, 'params:\n  tasksPerVcpu: 1..2\nvariants: [x86]\nseeds: 0\n');
    const r = await cli('sweep', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`apf-lab: ${file}: seeds: Too small: expected number to be >=1\n`);
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
    expect((await cli('sweep', 'merge', join(dir, 'nope.json'))).err).toMatch(/nope\.json: cannot read: no such file\n$/);
  });

  it('takes none of the sweep\'s options', async () => {
    const r = await cli('sweep', 'merge', ...parts, '--param', 'x=1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^apf-lab: Unknown argument: param\n/);
  });
});

describe('the progress bar', () => {
  it('shows runs done, the share and the time left', () => {
    expect(sweepProgressText(30, 80, 12_400)).toBe('apf-lab: sweep [#########---------------] 30/80 runs (37 %), ETA 13 s; Ctrl-C stops');
    expect(sweepProgressText(1, 80, null)).toBe('apf-lab: sweep [------------------------] 1/80 runs (1 %); Ctrl-C stops');
    expect(sweepProgressText(2, 900, 3_725_000)).toMatch(/ETA 1 h 02 min;/);
  });
});
