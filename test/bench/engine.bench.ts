import { bench, describe } from 'vitest';
import { arm64SdeiVariant, compareVariants, EventQueue, loadScenario, syncVariant, x86Variant, type PoppedEvent } from '../../index.js';

/**
 * `npm run bench`: the simulator against a bare event-heap loop in the same process
 * (DESIGN.md "Performance budget"). Compare the hz of the two: the simulator's events per
 * second is its hz × events per run (printed once below).
 */
const scenario = loadScenario();
const events = compareVariants(scenario, [syncVariant, x86Variant, arm64SdeiVariant]).variants.reduce((n, v) => n + v.run.events, 0);
console.log(`compare sync x86 arm64-sdei on the default scenario: ${events} events per run`);

describe('engine', () => {
  bench(`bare event heap: hold model, 100 pending, ${events} events`, () => {
    const q = new EventQueue(256);
    const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
    for (let i = 0; i < 100; i++) q.push(i * 7, 0, i, 0);
    for (let i = 0; i < events; i++) {
      q.pop(ev);
      q.push(ev.time + 1 + ((ev.a * 2654435761) % 1000), 0, ev.a, 0);
    }
  });

  bench('compare sync x86 arm64-sdei, default scenario', () => {
    compareVariants(scenario, [syncVariant, x86Variant, arm64SdeiVariant]);
  });
});
