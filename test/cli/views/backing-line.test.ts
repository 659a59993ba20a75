import { describe, expect, it } from 'vitest';
import { scenarioHeader } from '../../../cli/views/compare.js';
import { smallScenario } from '../../support/scenarios.js';

/** The header's backing clause for a swap device of this latency. */
const backing = (latency: Record<string, unknown>) =>
  scenarioHeader(smallScenario({ backing: { kind: 'swap', latency: latency as never, queueDepth: 32 } }), 1)[1].split('; ')[1];

describe('the scenario header says what the swap device draws (hostile-test bug 10)', () => {
  it.each([
    // fixed: the value, nothing else (it printed "swap fixed  100.000 ms (0 ns … ∞)")
    [{ dist: 'fixed', us: 100_000 }, 'swap fixed 100.000 ms, queue depth 32'],
    // a fixed value below minUs is served as minUs
    [{ dist: 'fixed', us: 10, minUs: 20 }, 'swap fixed 20.0 µs, queue depth 32'],
    // sigma 0: every draw is the median (it printed "(0 ns … ∞)")
    [{ dist: 'lognormal', us: 100, sigma: 0 }, 'swap lognormal median 100.0 µs (always 100.0 µs), queue depth 32'],
    // exponential: from 1 ns (a draw is never shorter) to the largest deviate, 36.74 means (it printed ∞)
    [{ dist: 'exponential', us: 100 }, 'swap exponential mean 100.0 µs (1 ns … 3.674 ms), queue depth 32'],
    [{ dist: 'exponential', us: 100, minUs: 5, maxUs: 1000 }, 'swap exponential mean 100.0 µs (5.0 µs … 1.000 ms), queue depth 32'],
    // lognormal: us·e^(∓8.58·sigma), within minUs and maxUs
    [{ dist: 'lognormal', us: 100, sigma: 0.5 }, 'swap lognormal median 100.0 µs (1.4 µs … 7.297 ms), queue depth 32'],
    [{ dist: 'lognormal', us: 818, sigma: 1.2, minUs: 36.2, maxUs: 55_700 }, 'swap lognormal median 818.0 µs (36.2 µs … 55.700 ms), queue depth 32'],
  ])('%j → %s', (latency, text) => {
    expect(backing(latency)).toBe(text);
  });
});

describe('the scenario header names the scenario and seed, then its description if it has one', () => {
  it('ends at the seed without a description (it printed a dangling ": ")', () => {
    expect(scenarioHeader(smallScenario({ description: '' }), 3)[0]).toBe('scenario small, seed 3');
    expect(scenarioHeader(smallScenario({ description: '   ' }), 3)[0]).toBe('scenario small, seed 3');
    expect(scenarioHeader(smallScenario({ description: 'two writers' }), 3)[0]).toBe('scenario small, seed 3: two writers');
  });
});
