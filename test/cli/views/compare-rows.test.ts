import { describe, expect, it } from 'vitest';
import { buildCompareView } from '../../../cli/views/compare.js';
import { compareVariants, x86Variant } from '../../../index.js';
import { smallScenario } from '../../support/scenarios.js';

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
