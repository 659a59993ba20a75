import { describe, expect, it } from 'vitest';
import { ARCHES, composeSpec } from '../../arches/registry.js';
import { DIMENSIONS, type ArchDefinition } from '../../arches/spec.js';
import { runVariant } from '../../core/run.js';
import { smallScenario } from '../support/scenarios.js';

/**
 * Every combination of mechanisms that an architecture's rules accept is a variant a user may
 * write in a variant file: each must run. (A data-abort not-present with a PPI page-ready was
 * accepted and then crashed in the backend, because the RFC enables set up no PPI.)
 */
function accepted(arch: ArchDefinition): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  // A partial pick breaks a rule once both of the rule's dimensions are picked: prune there.
  const breaks = (pick: Record<string, string>) =>
    arch.rules.some((r) => pick[r.dimension] !== undefined && pick[r.requires.dimension] !== undefined && r.ids.includes(pick[r.dimension]) && !r.requires.ids.includes(pick[r.requires.dimension]));
  const walk = (i: number, pick: Record<string, string>) => {
    if (breaks(pick)) return;
    if (i === DIMENSIONS.length) return void out.push({ ...pick });
    for (const id of Object.keys(arch.catalogue[DIMENSIONS[i]])) walk(i + 1, { ...pick, [DIMENSIONS[i]]: id });
  };
  walk(0, {});
  return out;
}

describe('every composable variant runs', () => {
  const scenario = smallScenario({ durationMs: 30 });
  for (const arch of ARCHES) {
    it(`${arch.arch}: each combination the rules allow composes and runs with its invariants holding`, () => {
      const combos = accepted(arch);
      expect(combos.length).toBeGreaterThan(10);
      for (const [i, mechanisms] of combos.entries()) {
        const label = JSON.stringify(mechanisms);
        let v;
        try {
          v = composeSpec({ id: `combo-${i}`, arch: arch.arch, title: 't', origin: 'o', mechanisms });
        } catch (e) {
          // Refused by a check beyond the pairwise rules: fine, as long as it says why.
          expect((e as Error).name, label).toBe('BadInputError');
          continue;
        }
        const r = runVariant(scenario, v);
        expect(r.invariants.violations, label).toEqual([]);
      }
    }, 60_000);
  }
});
