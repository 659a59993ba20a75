import { describe, expect, it } from 'vitest';
import { buildCompareView } from '../../../cli/views/compare.js';
import { compareVariants, x86Variant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';
import { findVariant } from '../../../arches/registry.js';

/** The compare table's rows, by label (trimmed), for one variant. */
function rows(c: ReturnType<typeof compareVariants>): Map<string, string> {
  const view = buildCompareView(c);
  return new Map(view.sections.flatMap((s) => s.rows.map((r) => [r.label.trim(), r.cells[0]] as [string, string])));
}

describe('the compare table accounts for host-missing pages served without a read (hostile round, stop 23)', () => {
  it('shows zero-fills where a run had them: a table of "faults 0" with EPT_VIOLATION exits said nothing of what they were', () => {
    // Never-written memory: every first touch is a zero-fill with no I/O (README "Scenarios", `populated`).
    const fresh = smallScenario({ regions: [{ name: 'array', mib: 48, populated: false }] });
    const c = compareVariants(fresh, [x86Variant]);
    const zeroFills = c.variants[0].metrics.apf.zeroFills;
    expect(zeroFills).toBeGreaterThan(0);
    expect(rows(c).get('not faults: zero-filled, no I/O')).toBe(zeroFills.toLocaleString('en-US'));
  });

  it('leaves the rows out where no run had any, and names the in-flight count as async faults', () => {
    const t = rows(compareVariants(smallScenario(), [x86Variant]));
    expect(t.has('not faults: zero-filled, no I/O')).toBe(false);
    expect(t.has('not faults: from the swap cache')).toBe(false);
    expect(t.has('async PFs in flight at end')).toBe(true);
  });
});

/**
 * A run keeps the first KEEP_PER_INVARIANT violations of each invariant in full and counts the
 * rest (core/invariants.ts): the table's FAIL figure and the report's summary are the count, and
 * the list says how many it leaves out. Hostile round: CPUs taken down for good with many sleepers
 * on them (arm64 designs: their CPU-down callbacks wake no sleeper, README "events") broke
 * invariants 1 and 7 94 times; the table said FAIL 40 (what was kept), while `sweep`'s violations
 * column said 94.
 */
describe('the compare table counts every invariant violation, not the ones kept in full', () => {
  const downForGood = smallScenario({
    durationMs: 300,
    machine: { vcpus: 4, guestMemoryMiB: 1024, hostResidentMiB: 256 },
    backing: { kind: 'swap', latency: { dist: 'lognormal', us: 818, sigma: 1.2, minUs: 36.2, maxUs: 55700 } },
    regions: [{ name: 'array', mib: 512 }],
    tasks: [{ name: 'writer', count: 100, program: [{ touch: { region: 'array', pattern: 'random', pages: 7, thinkNs: 2000 } }] }],
    events: [
      { atMs: 100, offline: { vcpu: 2 } },
      { atMs: 100, offline: { vcpu: 3 } },
    ],
  });
  it('FAIL N with N the counted total, and a line for each invariant\'s unlisted ones', () => {
    const c = compareVariants(downForGood, [findVariant('arm64-irq')]);
    const inv = c.variants[0].invariants;
    const total = Object.values(inv.counts).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(inv.violations.length);
    expect(rows(c).get('invariants (7 checked)')).toBe(`FAIL ${total}`);
    const more = buildCompareView(c).violations.filter((l) => l.includes('more, not listed'));
    expect(more.length).toBeGreaterThan(0);
    const listedPlusMore =
      inv.violations.length + more.reduce((n, l) => n + Number(/: (\d+) more, not listed/.exec(l)![1]), 0);
    expect(listedPlusMore).toBe(total);
  });
});
