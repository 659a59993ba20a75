import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../../cli/options.js';
import { captureTrace } from '../../../core/trace-capture.js';
import { traceFaults } from '../../../core/fault-trace.js';
import { runExperiment } from '../../../core/reproduce.js';
import { loadScenario } from '../../../core/scenario/load.js';
import { SIZE } from '../../../core/scenario/limits.js';
import { compareVariants, findVariant, runVariant, ScenarioError, sizeLimit, x86Variant, type SizeLimit } from '../../../index.js';
// The sweep's pool runs its workers from the build (a worker thread loads dist/cli/sweep/sweep-worker.js).
import { runPool } from '../../../dist/cli/sweep/pool.js';
import { smallScenario } from '../../support/scenarios.js';

/**
 * The size limit holds while a run runs (core/scenario/size-limit.ts): the estimate let through
 * runs it had at a thousandth of their size (a zero-fill pass behind a 10 ms disk: 4,726
 * estimated, 524,946 real), and such a run went on for as long as it took.
 */
const limit = (events: number): SizeLimit => ({ events, file: 'small.yaml', raise: 'pass --allow-large to run it anyway' });
const PAST = /^small\.yaml: durationMs: the run passed 5e\+2 events at [\d.e+-]+ ms of simulated time \(about [\d.]+e\+\d+ were expected before it started\), more than the 5e\+2 a laptop runs in minutes; pass --allow-large to run it anyway$/;

describe('the size limit, held as the run runs', () => {
  it('stops a run at the event past the limit, as bad input naming the scenario and the way to run it anyway', () => {
    const s = smallScenario();
    expect(() => runVariant(s, x86Variant, { sizeLimit: limit(500) })).toThrow(ScenarioError);
    expect(() => runVariant(s, x86Variant, { sizeLimit: limit(500) })).toThrow(PAST);
  });

  it('lets a run of exactly the events allowed finish, with the result it has without a limit', () => {
    const s = smallScenario();
    const free = runVariant(s, x86Variant);
    const held = runVariant(s, x86Variant, { sizeLimit: limit(free.run.events) });
    expect(JSON.stringify(held)).toBe(JSON.stringify(free));
    expect(() => runVariant(s, x86Variant, { sizeLimit: limit(free.run.events - 1) })).toThrow(ScenarioError);
  });

  it('is held by every way of running a scenario: compare, trace capture, fault traces, experiments', () => {
    const s = smallScenario();
    expect(() => compareVariants(s, [x86Variant], { sizeLimit: limit(500) })).toThrow(PAST);
    expect(() => captureTrace(s, x86Variant, { sizeLimit: limit(500) })).toThrow(PAST);
    expect(() => traceFaults(s, x86Variant, { count: 1000, sizeLimit: limit(500) })).toThrow(PAST);
    const exp = loadScenario('gleb-2010-bm');
    expect(() => runExperiment('gleb-2010-bm', exp, (v) => findVariant(v), { seeds: [1], sizeLimit: { ...limit(500), file: 'gleb-2010-bm' } })).toThrow(/^gleb-2010-bm: durationMs: the run passed 5e\+2 events/);
  });

  it('a sweep worker holds the limit its point was given, and the pool reports it as bad input', async () => {
    const s = smallScenario();
    const run = runPool([{ scenario: s, variant: 'x86', seed: 1, sizeLimit: limit(500) }], { jobs: 1, variantFiles: [] });
    await expect(run).rejects.toThrow(PAST);
    await expect(runPool([{ scenario: s, variant: 'x86', seed: 1, sizeLimit: limit(500) }], { jobs: 1, variantFiles: [] })).rejects.toMatchObject({ name: 'BadInputError' });
  });

  it('the command line holds every run to SIZE.expectedEvents, unless large runs are allowed', () => {
    const held = resolveScenario({ scenario: 'overcommit', json: false, allowLarge: false }).hooks.sizeLimit;
    expect(held).toEqual(sizeLimit('overcommit', held!.raise));
    expect(held!.events).toBe(SIZE.expectedEvents);
    expect(held!.raise).toMatch(/--allow-large/);
    expect(resolveScenario({ scenario: 'overcommit', json: false, allowLarge: true }).hooks.sizeLimit).toBeUndefined();
  });
});
