import { describe, expect, it } from 'vitest';
import { allPoints, defineSweep, planRuns, sweepDocument } from '../../../core/sweep/document.js';
import { mergeParts } from '../../../core/sweep/merge.js';
import { roundTo } from '../../../core/spread.js';
import { smallScenario } from '../../support/scenarios.js';
import { FAKE_BUILD, fakePart as part, fakeSweep as sweep } from '../../support/sweep-parts.js';

/** Through JSON, as the files are. */
const file = (name: string, p: unknown) => ({ file: name, data: JSON.parse(JSON.stringify(p)) });

describe('sweep merge', () => {
  const def = sweep();
  const parts = [1, 2, 3].map((i) => file(`part-${i}-of-3.json`, part(def, i, 3)));

  it('puts the slices back in the unsharded order, whatever order they are given in', () => {
    const merged = mergeParts([parts[2], parts[0], parts[1]]);
    expect(merged.runs.map(({ point, variant, run, seed }) => ({ point, variant, run, seed }))).toEqual(planRuns(def, allPoints(def)));
    expect(JSON.stringify(merged.sweep)).toBe(JSON.stringify(def));
  });

  it('writes one definition whatever order a part lists its keys in and the parts are named in (hostile-test sweep defect 1)', () => {
    // A part re-saved by a tool that orders keys its own way (jq -S): every object's keys reversed, at every level.
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    const resaved = file('part-2-of-3.json', reversed(part(def, 2, 3)));
    const unsharded = JSON.stringify(sweepDocument(def, part(def, 1, 1).runs, FAKE_BUILD));
    for (const order of [[parts[0], resaved, parts[2]], [resaved, parts[0], parts[2]], [parts[2], resaved, parts[0]]]) {
      const merged = mergeParts(order);
      expect(JSON.stringify(sweepDocument(merged.sweep, merged.runs, merged.build))).toBe(unsharded);
    }
    // The unsharded sweep's definition does not depend on the order its scenario and variants gave either.
    const given = { scenario: def.scenario, params: def.params, variants: def.variants, seeds: def.seeds, metric: def.metric, x: def.x };
    expect(JSON.stringify(defineSweep(reversed(given) as typeof given))).toBe(JSON.stringify(def));
  });

  it('refuses slices of different sweeps, naming where they differ', () => {
    const other = file('other.json', part(sweep(3), 2, 3));
    expect(() => mergeParts([parts[0], other, parts[2]])).toThrow('part-1-of-3.json and other.json are slices of different sweeps (they differ in seeds)');
    const moved = file('moved.json', part(sweep(2, smallScenario({ durationMs: 100 })), 2, 3));
    expect(() => mergeParts([parts[0], moved, parts[2]])).toThrow('part-1-of-3.json and moved.json are slices of different sweeps (they differ in scenario: durationMs 200 and 100)');
  });

  it('refuses parts of different apf-lab builds, naming both (hostile-test sweep defect 2)', () => {
    const other = file('other-build.json', { ...part(def, 2, 3), build: '0.1.0+0123456789ab' });
    expect(() => mergeParts([parts[0], other, parts[2]])).toThrow(
      /^part-1-of-3.json and other-build.json were written by different apf-lab builds \(0.1.0\+test and 0.1.0\+0123456789ab\): their figures need not agree; run every shard with one build$/,
    );
    expect(mergeParts([parts[0], parts[1], parts[2]]).build).toBe(FAKE_BUILD);
    // A part of the format before the build was recorded cannot be told apart: refused.
    const { build: _, ...v2 } = { ...part(def, 2, 3), format: 'apf-lab sweep part v2' };
    expect(() => mergeParts([parts[0], file('v2.json', v2), parts[2]])).toThrow(
      "v2.json: written by an older apf-lab (apf-lab sweep part v2, which does not record the build that ran it): run its shard again",
    );
  });

  it('says a part of a later format was written by a newer apf-lab (it was "not a sweep part file")', () => {
    expect(() => mergeParts([parts[0], file('v6.json', { ...part(def, 2, 3), format: 'apf-lab sweep part v6' }), parts[2]])).toThrow(
      /^v6.json: written by a newer apf-lab \(apf-lab sweep part v6; this one reads apf-lab sweep part v5\): merge with that version$/,
    );
  });

  it('refuses a part of the format before the measured window was recorded, saying so (not "was the file edited?")', () => {
    const p = part(def, 2, 3);
    const runs = p.runs.map(({ metrics: { measuredMs: _, workPerSecond: __, ...metrics }, ...r }) => ({ ...r, metrics }));
    expect(() => mergeParts([parts[0], file('v3.json', { ...p, format: 'apf-lab sweep part v3', runs }), parts[2]])).toThrow(
      /^v3.json: written by an older apf-lab \(apf-lab sweep part v3, which does not record the measured window of each run\): run its shard again$/,
    );
  });

  it('merges parts whose specs differ only in spacing: one grid (they were "slices of different sweeps")', () => {
    const spaced = sweep();
    const respaced = defineSweep({ ...spaced, params: [{ ...spaced.params[0]!, spec: ' 50 .. 5000 : log : 3 ' }, { ...spaced.params[1]!, spec: '1, 2' }] });
    expect(respaced.params.map((p) => p.spec)).toEqual(['50..5000:log:3', '1,2']);
    const merged = mergeParts([parts[0], file('respaced.json', part(respaced, 2, 3)), parts[2]]);
    expect(JSON.stringify(merged.sweep)).toBe(JSON.stringify(def));
  });

  it('merges parts whose numbers are spelled differently (1e2 and 100), and names the parameter where grids differ', () => {
    const spelled = sweep();
    const respelled = defineSweep({ ...spelled, params: [{ ...spelled.params[0]!, spec: '5e1 .. 5.0e3:log:3' }, { ...spelled.params[1]!, spec: '1.0 , 2 ' }] });
    expect(respelled.params.map((p) => p.spec)).toEqual(['50..5000:log:3', '1,2']);
    expect(JSON.stringify(mergeParts([parts[0], file('respelled.json', part(respelled, 2, 3)), parts[2]]).sweep)).toBe(JSON.stringify(def));
    const other = defineSweep({ ...spelled, params: [spelled.params[0]!, { ...spelled.params[1]!, spec: '1,3', values: [1, 3] }] });
    expect(() => mergeParts([parts[0], file('other.json', part(other, 2, 3)), parts[2]])).toThrow(
      'part-1-of-3.json and other.json are slices of different sweeps (they differ in params: tasksPerVcpu 1,2 and 1,3)',
    );
  });

  it('names the seed where parts were made with different --seed, not "scenario"', () => {
    const reseeded = file('seed-2.json', part(sweep(2, smallScenario({ seed: 2 })), 2, 3));
    expect(() => mergeParts([parts[0], reseeded, parts[2]])).toThrow('part-1-of-3.json and seed-2.json are slices of different sweeps (they differ in seed: 1 and 2)');
  });

  it('refuses overlapping slices: one given twice, or slices of different shardings', () => {
    expect(() => mergeParts([parts[0], parts[1], parts[1], parts[2]])).toThrow('part-2-of-3.json and part-2-of-3.json are both shard 2/3: overlapping slices');
    expect(() => mergeParts([parts[0], file('p2of2.json', part(def, 2, 2))])).toThrow('part-1-of-3.json is shard 1/3 but p2of2.json is shard 2/2: slices of different shardings overlap');
  });

  it('refuses missing slices, listing them', () => {
    expect(() => mergeParts([parts[1]])).toThrow('missing slices 1/3, 3/3 of the 3 shards');
    expect(() => mergeParts([])).toThrow(/name the part files/);
  });

  it('holds an edited shard count to --shard\'s bound and names only a few missing slices (hostile-test sweep defect 3)', () => {
    // 1e9 ran out of heap listing the missing slices; 5e9 was "Invalid array length", an internal error.
    // 1e308 was "must be at most 9007199254740991": zod's int() bound came before the lab's (hostile round).
    for (const n of [1_000_001, 5e9, 1e308]) {
      const edited = file('big.json', { ...part(def, 1, 3), shard: { index: 1, count: n } });
      expect(() => mergeParts([edited])).toThrow(/^big.json: shard.count: must be at most 1,000,000, as --shard allows \(was the file edited\?\)$/);
    }
    const started = Date.now();
    expect(() => mergeParts([file('p.json', part(def, 2, 1_000_000))])).toThrow(
      'missing slices 1/1000000, 3/1000000, 4/1000000, 5/1000000, 6/1000000, 7/1000000, 8/1000000, 9/1000000, 10/1000000, 11/1000000, … (999,999 in all) of the 1,000,000 shards',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses an edited part whose sweep has more runs than any sweep may have, before listing its points', () => {
    // Within the file cap, 5 parameters of 10,000 values are 1e20 points.
    const many = { name: 'backing.latency.us', spec: '1..10000', values: Array.from({ length: 10_000 }, (_, i) => i + 1) };
    const huge = defineSweep({ ...def, params: [many, ...['a', 'b', 'c', 'd'].map((n) => ({ ...many, name: n }))] });
    expect(() => mergeParts([file('huge.json', { ...part(def, 1, 1), sweep: huge })])).toThrow(
      /^huge.json: 100,000,000,000,000,000,000 points × 2 variants × 2 seeds = [\d,]+ runs, more than the 1,000,000 one sweep may have: split it into several \(was the file edited\?\)$/,
    );
  });

  it('refuses a part that is not one, or whose runs are not its shard\'s', () => {
    expect(() => mergeParts([{ file: 'x.json', data: { hello: 1 } }])).toThrow(/^x.json: not a sweep part file \(format: /);
    const edited = file('edited.json', { ...part(def, 1, 3), runs: part(def, 1, 3).runs.slice(1) });
    expect(() => mergeParts([edited, parts[1], parts[2]])).toThrow('edited.json: its runs are not those of shard 1/3 of this sweep');
    const reseeded = part(def, 1, 3);
    const bad = file('seed.json', { ...reseeded, runs: reseeded.runs.map((r, i) => (i === 0 ? { ...r, seed: r.seed + 1 } : r)) });
    expect(() => mergeParts([bad, parts[1], parts[2]])).toThrow(/seed.json: its runs are not those/);
    const renamed = file('id.json', { ...part(def, 1, 3), sweep: { ...def, params: [{ ...def.params[0], spec: '1,2,3,4,6', values: [1, 2, 3, 4, 6] }] } });
    expect(() => mergeParts([renamed, parts[1], parts[2]])).toThrow(/id.json: its sweep identity does not match/);
    // metric and x choose what is drawn and are outside the identity: an unknown one is refused too.
    expect(() => mergeParts([file('m.json', { ...part(def, 1, 3), sweep: { ...def, metric: 'bogus' } }), parts[1], parts[2]])).toThrow(/^m.json: sweep.metric "bogus" is not a sweep metric/);
    expect(() => mergeParts([file('x.json', { ...part(def, 1, 3), sweep: { ...def, x: 'bogus' } }), parts[1], parts[2]])).toThrow(/^x.json: sweep.x "bogus" is not one of its parameters/);
  });

  it('refuses a run that measured more than its window, or whose workPerSecond is not work over measuredMs', () => {
    const edit = (name: string, change: (m: Record<string, number | null>) => void) => {
      const p = part(def, 1, 3);
      return file(name, { ...p, runs: p.runs.map((r, i) => (i === 1 ? { ...r, metrics: (() => { const m = { ...r.metrics }; change(m); return m; })() } : r)) });
    };
    // The fake scenario's window is 200 ms.
    expect(() => mergeParts([edit('long.json', (m) => void (m.measuredMs = 250, m.workPerSecond = Math.round((m.work! * 1000) / 250))), parts[1], parts[2]])).toThrow(
      /^long.json: runs.1.metrics: measuredMs 250 is more than the window of its point, durationMs 200 \(was the file edited\?\)$/,
    );
    expect(() => mergeParts([edit('rate.json', (m) => void (m.workPerSecond = 1)), parts[1], parts[2]])).toThrow(
      /^rate.json: runs.1.metrics: workPerSecond 1 is not work \d+ over measuredMs 200 \([\d.]+\) \(was the file edited\?\)$/,
    );
    // A swept durationMs is each point's window.
    const swept = defineSweep({ ...def, params: [{ name: 'durationMs', spec: '100,200', values: [100, 200] }], x: 'durationMs' });
    const sp = part(swept, 1, 1);
    const runs = sp.runs.map((r) => (r.point === 0 ? { ...r, metrics: { ...r.metrics, measuredMs: 150, workPerSecond: Math.round(((r.metrics.work as number) * 1000) / 150 * 1000) / 1000 } } : r));
    expect(() => mergeParts([file('swept.json', { ...sp, runs })])).toThrow(/^swept.json: runs.0.metrics: measuredMs 150 is more than the window of its point, durationMs 100 /);
  });

  it('refuses a parameter whose spec does not stand for its values (hostile-test sweep defect 5)', () => {
    // Values and identity agree, the spec was edited: the chart read it as a log axis from 0 and drew NaN.
    const withSpec = (name: string, spec: string, values: number[]) => {
      const edited = defineSweep({ ...def, params: [{ ...def.params[0], spec, values }, def.params[1]] });
      return file(name, { ...part(def, 1, 3), sweep: edited });
    };
    expect(() => mergeParts([withSpec('log.json', '0..1000:log:2', [0, 1000])])).toThrow(
      /^log.json: sweep.params.0 \(backing.latency.us\): spec "0..1000:log:2" is not a value spec: a log range needs a start above 0, got 0 \(was the file edited\?\)$/,
    );
    expect(() => mergeParts([withSpec('lin.json', '50..5000:lin:3', [50, 500, 5000])])).toThrow(
      /^lin.json: sweep.params.0 \(backing.latency.us\): values 50,500,5000 are not those of its spec "50..5000:lin:3" \(50,2525,5000\) \(was the file edited\?\)$/,
    );
  });

  it('refuses a figure no run gives, naming the file and the field (hostile-test repro-4)', () => {
    const edit = (name: string, metric: string, v: unknown) => {
      const p = part(def, 1, 3);
      return file(name, { ...p, runs: p.runs.map((r, i) => (i === 1 ? { ...r, metrics: { ...r.metrics, [metric]: v } } : r)) });
    };
    const merge = (name: string, metric: string, v: unknown) => () => mergeParts([edit(name, metric, v), parts[1], parts[2]]);
    expect(merge('neg.json', 'work', -1)).toThrow(/^neg.json: runs.1.metrics.work: must be at least 0 \(was the file edited\?\)$/);
    // Only a latency may be absent (no fault completed); work, a count or a ratio always has a figure.
    expect(merge('null.json', 'work', null)).toThrow(/^null.json: runs.1.metrics.work: must be a number, got null \(was the file edited\?\)$/);
    expect(merge('half.json', 'faults', 2.5)).toThrow(/^half.json: runs.1.metrics.faults: must be a whole number, got 2.5 /);
    expect(merge('text.json', 'exitsPerFault', '3')).toThrow(/^text.json: runs.1.metrics.exitsPerFault: must be a number, got "3" /);
    expect(merge('lat.json', 'faultLatency.p99', -5)).toThrow(/^lat.json: runs.1.metrics.faultLatency.p99: must be at least 0 /);
    expect(merge('gone.json', 'work', undefined)).toThrow(/^gone.json: runs.1.metrics.work: missing: a number is required /);
    expect(merge('extra.json', 'speed', 1)).toThrow(/^extra.json: not a sweep part file \(runs.1.metrics: /);
    // What runs do give: a latency of null, an amount to three decimals.
    const p = part(def, 1, 3);
    const noLatency = { 'faultLatency.p50': null, 'faultLatency.p99': null, 'faultLatency.max': null };
    const unmeasured = file('ok.json', { ...p, runs: p.runs.map((r, i) => (i === 1 ? { ...r, metrics: { ...r.metrics, ...noLatency } } : r)) });
    expect(mergeParts([unmeasured, parts[1], parts[2]]).runs[1].metrics['faultLatency.p50']).toBeNull();
    // (with its work per measured second)
    const amount = file('ok.json', { ...p, runs: p.runs.map((r, i) => (i === 1 ? { ...r, metrics: { ...r.metrics, work: 12.345, workPerSecond: roundTo(12345 / r.metrics.measuredMs!, 3) } } : r)) });
    expect(mergeParts([amount, parts[1], parts[2]]).runs[1].metrics.work).toBe(12.345);
  });

  it('refuses a reason to stop early that no run gives, and a key no part has (hostile sweep defect D7)', () => {
    // They went into runs.csv as written: a line break, a spreadsheet formula, a bidi override.
    const stopped = (name: string, why: string | null) => {
      const p = part(def, 1, 3);
      return file(name, { ...p, runs: p.runs.map((r, i) => (i === 1 ? { ...r, stoppedEarly: why } : r)) });
    };
    const merge = (name: string, why: string | null) => () => mergeParts([stopped(name, why), parts[1], parts[2]]);
    const refused = (name: string) => new RegExp(`^${name}: runs\\.1\\.stoppedEarly: not why a run stops early \\(drain timed out, or a livelock stopped at a time\\) \\(was the file edited\\?\\)$`);
    for (const why of ['cosmic rays\n', '=HYPERLINK("http://evil","x"),"\u202e', 'drain timed out\n', 'stopped at 5 ns: cosmic rays', 'stopped at 5 ns by the caller']) {
      expect(merge('why.json', why), JSON.stringify(why)).toThrow(refused('why.json'));
    }
    // What runs do give (core/sim/simulation.ts, core/sim/vcpu-run.ts).
    for (const why of [null, 'drain timed out', 'stopped at 1234 ns: 1000000 events at 1234 ns without simulated time advancing: a vCPU is spinning', 'stopped at 99 ns: vCPU 3 made no progress in 80 passes of its run loop']) {
      expect(mergeParts([stopped('ok.json', why), parts[1], parts[2]]).runs[1].stoppedEarly).toBe(why);
    }
    // Unknown keys were refused in a run's metrics, not at the top level.
    expect(() => mergeParts([file('extra.json', { ...part(def, 1, 3), frob: 1 }), parts[1], parts[2]])).toThrow(
      'extra.json: not a sweep part file (top level: unknown field(s): frob); write one with apf-lab sweep --shard i/n --out DIR',
    );
  });

  it('refuses a figure too large for any run, which would sum to Infinity in the summary and NaN in the chart', () => {
    const huge = (name: string, metric: string, v: number) => {
      const p = part(def, 1, 3);
      // Both seeds of point 0: their mean would be (1e308 + 1e308) / 2 = Infinity.
      return file(name, { ...p, runs: p.runs.map((r, i) => (i < 2 ? { ...r, metrics: { ...r.metrics, [metric]: v } } : r)) });
    };
    expect(() => mergeParts([huge('work.json', 'work', 1e308), parts[1], parts[2]])).toThrow(/^work.json: runs.0.metrics.work: must be below 2\^53: no run gives that much \(was the file edited\?\)$/);
    expect(() => mergeParts([huge('count.json', 'exits', 2 ** 60), parts[1], parts[2]])).toThrow(/^count.json: runs.0.metrics.exits: must be below 2\^53/);
    expect(() => mergeParts([huge('lat.json', 'faultLatency.max', 1e300), parts[1], parts[2]])).toThrow(/^lat.json: runs.0.metrics.faultLatency.max: must be below 2\^53/);
  });

  it('refuses figures that no run gives together, naming the file, the run and the figures', () => {
    const edit = (name: string, changes: Record<string, number | null>) => {
      const p = part(def, 1, 3);
      return file(name, { ...p, runs: p.runs.map((r, i) => (i === 1 ? { ...r, metrics: { ...r.metrics, ...changes } } : r)) });
    };
    const merge = (name: string, changes: Record<string, number | null>) => () => mergeParts([edit(name, changes), parts[1], parts[2]]);
    expect(merge('apfs.json', { faults: 49, apfs: 1000, syncFallbacks: 0, halts: 0, exitsPerFault: 0.184 })).toThrow(
      /^apfs.json: runs.1.metrics: apfs 1000 \+ syncFallbacks 0 \+ halts 0 is more than faults 49: a run counts each fault once, as at most one of these \(was the file edited\?\)$/,
    );
    expect(merge('sum.json', { faults: 30, apfs: 10, syncFallbacks: 10, halts: 11, exitsPerFault: 0.3 })).toThrow(/^sum.json: runs.1.metrics: apfs 10 \+ syncFallbacks 10 \+ halts 11 is more than faults 30/);
    expect(merge('order.json', { 'faultLatency.p50': 900, 'faultLatency.p99': 800 })).toThrow(/^order.json: runs.1.metrics: faultLatency.p50 900, p99 800 and max \d+ are out of order/);
    expect(merge('half.json', { 'faultLatency.p99': null })).toThrow(/^half.json: runs.1.metrics: faultLatency.p99 null but not faultLatency.p50 and faultLatency.max/);
    expect(merge('ratio.json', { exitsPerFault: 7 })).toThrow(/^ratio.json: runs.1.metrics: exitsPerFault 7 is not exits \d+ over faults \d+/);
    expect(merge('none.json', { faults: 0, apfs: 0, syncFallbacks: 0, halts: 0, exitsPerFault: null, injectionsPerFault: 1.5 })).toThrow(
      /^none.json: runs.1.metrics: exitsPerFault null and injectionsPerFault 1.5 with faults 0: a run without faults has no figure per fault \(null\)/,
    );
    // The v4 figure, 0 per fault without a fault, is no longer what a run gives; nor a missing ratio with faults.
    expect(merge('zero.json', { faults: 0, apfs: 0, syncFallbacks: 0, halts: 0, exitsPerFault: 0, injectionsPerFault: 0 })).toThrow(/^zero.json: runs.1.metrics: exitsPerFault 0 and injectionsPerFault 0 with faults 0/);
    expect(merge('lost.json', { injectionsPerFault: null })).toThrow(/^lost.json: runs.1.metrics: exitsPerFault [\d.]+ and injectionsPerFault null with faults \d+: a run with faults has both/);
    expect(mergeParts([edit('nofault.json', { faults: 0, apfs: 0, syncFallbacks: 0, halts: 0, exitsPerFault: null, injectionsPerFault: null, 'faultLatency.p50': null, 'faultLatency.p99': null, 'faultLatency.max': null }), parts[1], parts[2]]).runs[1].metrics.exitsPerFault).toBe(null);
    // What a run does give: exactly as many APFs, synchronous and halted faults as faults, a ratio rounded.
    const fine = { faults: 30, apfs: 10, syncFallbacks: 10, halts: 10, exits: 100, exitsPerFault: 3.333 };
    expect(mergeParts([edit('ok.json', fine), parts[1], parts[2]]).runs[1].metrics.apfs).toBe(10);
  });
});
