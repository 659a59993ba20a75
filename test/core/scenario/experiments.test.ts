import { describe, expect, it } from 'vitest';
import { knownVariants, listBuiltinScenarios, loadScenario } from '../../../index.js';

/**
 * The built-in experiments are twelve from the postings (facts/anchors.md §A1, §A2; facts/arm64.md
 * §7), each row naming variants that exist and, for a per-task figure, a task group that the
 * scenario has; every experiment cites its source. (No simulation here: `apf-lab reproduce` runs
 * them.)
 */
describe('built-in experiments', () => {
  const experiments = listBuiltinScenarios()
    .map((name) => ({ name, s: loadScenario(name) }))
    .filter(({ s }) => s.experiment !== undefined);

  it('are these twelve', () => {
    expect(experiments.map((e) => e.name).sort()).toEqual(
      [
        'gavin-rfcv2-calc',
        'gavin-rfcv2-memonly',
        'gavin-v1-calc-thpoff',
        'gavin-v1-calc-thpon',
        'gavin-v1-kbuild',
        'gavin-v1-nocalc-thpoff',
        'gavin-v1-nocalc-thpon',
        'gavin-v4-calc',
        'gavin-v4-memonly',
        'gavin-v4-postcopy-idle',
        'gavin-v4-postcopy-load',
        'gleb-2010-bm',
      ].sort(),
    );
  });

  it('name known variants, a task group for per-task figures, and end when their tasks finish', () => {
    const ids = new Set(knownVariants().map((v) => v.id));
    for (const { name, s } of experiments) {
      expect(s.experiment!.source.length, name).toBeGreaterThan(20);
      const groups = new Set(s.tasks.map((t) => t.name));
      for (const row of s.experiment!.rows) {
        expect(ids.has(row.variant), `${name}: ${row.variant}`).toBe(true);
        expect(ids.has(row.baseline), `${name}: ${row.baseline}`).toBe(true);
        if (row.metric !== 'work') expect(groups.has(row.group ?? ''), `${name}: group ${row.group}`).toBe(true);
        if (row.metric === 'time') expect(s.until?.tasks ?? s.tasks.filter((t) => t.passes).map((t) => t.name), name).toContain(row.group);
      }
    }
  });

  it('state the published figure where facts/ gives one, and only there', () => {
    const published = Object.fromEntries(experiments.flatMap(({ name, s }) => s.experiment!.rows.filter((r) => r.published !== null).map((r) => [`${name}/${r.variant}`, r.published])));
    expect(published).toEqual({
      'gleb-2010-bm/x86-halt': 1.128,
      'gleb-2010-bm/x86-pf': 1.909,
      'gavin-rfcv2-calc/arm64-dabt': 1.179,
      'gavin-rfcv2-memonly/arm64-dabt': 1.012,
    });
  });
});
