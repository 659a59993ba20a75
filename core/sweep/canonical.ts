import type { Scenario } from '../scenario/schema.js';
import type { SweepDefinition } from './document.js';
import { sortKeys } from './seed.js';

/**
 * A sweep's definition with every object's keys in one fixed order, whatever order its inputs gave
 * them in. A scenario file, a variant file or a part re-saved by a tool (`jq -S`) may list a map's
 * keys in any order, and JSON.stringify() keeps that order: sweep.json would then differ between
 * the unsharded sweep and a merge of its parts, and between merges of the same parts named in
 * another order. The definition's own fields and a variant's keep their reading order; the
 * scenario and the variants' maps (mechanisms, knobs, costs) are sorted, as the identity's
 * canonical JSON sorts them.
 */
export function canonicalDefinition(d: SweepDefinition): SweepDefinition {
  const sorted = <T>(value: T): T => sortKeys(value) as T;
  return {
    identity: d.identity,
    seedDerivation: d.seedDerivation,
    scenario: sorted<Scenario>(d.scenario),
    params: d.params.map(({ name, spec, values }) => ({ name, spec, values: [...values] })),
    variants: d.variants.map((v) => ({ id: v.id, arch: v.arch, mechanisms: sorted(v.mechanisms), knobs: sorted(v.knobs), costs: sorted(v.costs) })),
    seeds: d.seeds,
    metric: d.metric,
    x: d.x,
  };
}
