import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliInProcess as cli } from '../support/cli-in-process.js';
import { findVariant, loadScenario, parseScenario, runVariant } from '../../index.js';
import { TINY_SCENARIO_YAML } from '../support/scenarios.js';

/** An experiment whose task cannot finish its passes within durationMs: it fails only once run. */
const UNFINISHED_YAML = `${TINY_SCENARIO_YAML.replace('tasks: [ { name: t, program: [ { compute: { us: 1 } } ] } ]', 'tasks: [ { name: t, passes: 1000000, program: [ { compute: { us: 1 } } ] } ]')}experiment: { source: s, rows: [ { label: test time, metric: time, group: t, variant: x86, baseline: sync-x86 } ] }\n`;

/** A short copy of gleb-2010-bm (same experiment block), so that the CLI tests stay quick. */
function shortGleb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'apf-reproduce-'));
  const file = join(dir, 'gleb-short.yaml');
  const s = loadScenario('gleb-2010-bm');
  const yaml = `name: gleb-short
durationMs: 300
seed: 1
machine: { vcpus: 4, guestMemoryMiB: 2048, hostResidentMiB: 512, hz: 1000 }
backing: { kind: swap, latency: { dist: lognormal, us: 818, sigma: 1.2, minUs: 36.2, maxUs: 55700 }, queueDepth: 32 }
regions: [ { name: buffer, mib: 1024 } ]
tasks:
  - { name: worker, count: 4, program: [ { compute: { us: 10000 } } ] }
  - { name: faulter, count: 4, program: [ { touch: { region: buffer, pattern: random, pages: 1, thinkNs: 50 } } ] }
experiment:
  source: ${JSON.stringify(s.experiment!.source)}
  rows:
${s.experiment!.rows.map((r) => `    - { label: ${JSON.stringify(r.label)}, metric: ${r.metric}, variant: ${r.variant}, baseline: ${r.baseline}, published: ${r.published} }`).join('\n')}
`;
  writeFileSync(file, yaml);
  return file;
}

describe('apf-lab reproduce', () => {
  const file = shortGleb();

  it('--json gives each row as a ratio with mean, min, max over the seeds and the published figure', async () => {
    const r = await cli('reproduce', file, '--seeds', '2', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.experiments).toHaveLength(1);
    const e = doc.experiments[0];
    expect(e).toMatchObject({ id: file, scenario: 'gleb-short' });
    expect(e.rows.map((x: { variant: string; published: number }) => [x.variant, x.published])).toEqual([
      ['x86-halt', 1.128],
      ['x86-pf', 1.909],
    ]);
    for (const row of e.rows) {
      expect(row).toMatchObject({ metric: 'work', baseline: 'sync-x86', unit: 'ratio' });
      expect(row.lab.seeds).toEqual([1, 2]);
      expect(row.lab.min).toBeLessThanOrEqual(row.lab.mean);
      expect(row.lab.mean).toBeLessThanOrEqual(row.lab.max);
    }
  });

  it('a row is the variant\'s work over the baseline\'s for the same seed', async () => {
    const doc = JSON.parse((await cli('reproduce', file, '--seeds', '1', '--json')).out);
    const s = loadScenario(file);
    const ratio = runVariant(s, findVariant('x86-pf'), { seed: 1 }).metrics.work / runVariant(s, findVariant('sync-x86'), { seed: 1 }).metrics.work;
    expect(doc.experiments[0].rows[1].lab.mean).toBeCloseTo(ratio, 3);
  });

  it('the same experiment and seeds give byte-identical --json', async () => {
    const a = await cli('reproduce', file, '--seeds', '2', '--json');
    const b = await cli('reproduce', file, '--seeds', '2', '--json');
    expect(a.out).toBe(b.out);
  });

  it('the table names the figure, the lab and the published change', async () => {
    const r = await cli('reproduce', file, '--seeds', '1');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/total work \(PV guest\)\s+x86-pf ÷ sync-x86\s+\d\.\d{3} \([+−]\d+\.\d %\).*1\.909 \(\+90\.9 %\)/);
  });

  it('a scenario without an experiment is bad input (exit 1); --seeds 0 is a usage error (exit 2)', async () => {
    const none = await cli('reproduce', 'overcommit');
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/overcommit: the scenario describes no experiment/);
    expect((await cli('reproduce', file, '--seeds', '0')).code).toBe(2);
  });

  it('an experiment row must name what it measures (bad input naming the field)', () => {
    const base = TINY_SCENARIO_YAML;
    const row = (extra: string) => `${base}experiment: { source: s, rows: [ { label: l, variant: x86, baseline: sync-x86, ${extra} } ] }\n`;
    expect(() => parseScenario(row('metric: rate'), 'e.yaml')).toThrow(/experiment\.rows\[0\]\.group: metric rate needs the task group/);
    expect(() => parseScenario(row('metric: rate, group: nope'), 'e.yaml')).toThrow(/unknown task "nope"/);
    expect(() => parseScenario(row('metric: time, group: t'), 'e.yaml')).toThrow(/metric time needs fixed work/);
    expect(() => parseScenario(row('metric: work'), 'e.yaml')).not.toThrow();
  });

  it("a row whose baseline is not its variant's architecture's no-APF baseline is bad input (exit 1), before anything runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-reproduce-'));
    const cross = join(dir, 'cross.yaml');
    const row = (variant: string, baseline: string) => `${TINY_SCENARIO_YAML}experiment: { source: s, rows: [ { label: l, metric: work, variant: ${variant}, baseline: ${baseline} } ] }\n`;
    try {
      writeFileSync(cross, row('arm64-sdei', 'sync-x86'));
      const r = await cli('reproduce', cross, '--seeds', '1');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/sync-x86 is not the no-APF baseline of arm64-sdei's architecture \(arm64\)/);
      // An unknown id said only 'unknown variant "nope"'.
      writeFileSync(cross, row('nope', 'sync-x86'));
      expect((await cli('reproduce', cross, '--seeds', '1')).err).toMatch(new RegExp(`^apf-lab: ${cross}: experiment\\.rows\\[0\\]\\.variant: unknown variant "nope" \\(known: `));
      writeFileSync(cross, row('x86', 'sync-x68'));
      expect((await cli('reproduce', cross, '--seeds', '1')).err).toMatch(new RegExp(`^apf-lab: ${cross}: experiment\\.rows\\[0\\]\\.baseline: unknown variant "sync-x68"`));
      writeFileSync(cross, row('x86-pf', 'x86'));
      expect((await cli('reproduce', cross, '--seeds', '1')).err).toMatch(/x86 is not the no-APF baseline of x86-pf's architecture/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a time row whose tasks did not finish within durationMs is bad input naming the row (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-reproduce-'));
    const file = join(dir, 'unfinished.yaml');
    writeFileSync(file, UNFINISHED_YAML);
    const r = await cli('reproduce', file, '--seeds', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/test time: sync-x86 or x86 gave no time with seed 1 \(did the task finish its passes within durationMs\?\)/);
  });

  // An experiment that could only fail once run comes first: the later one's missing block must
  // be what is reported, since every experiment is checked before any runs.
  it('every named experiment is checked before the first one runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-reproduce-'));
    const unfinished = join(dir, 'unfinished.yaml');
    try {
      writeFileSync(unfinished, UNFINISHED_YAML);
      const r = await cli('reproduce', unfinished, 'overcommit', '--seeds', '1');
      expect(r.code).toBe(1);
      expect(r.err.split('\n')[0]).toBe('apf-lab: overcommit: the scenario describes no experiment (no `experiment` block)');
      expect(r.out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an experiment named twice, by name or by a path to its file, is a usage error (exit 2), not run and printed twice', async () => {
    const twice = await cli('reproduce', file, file, '--seeds', '1');
    expect(twice.code).toBe(2);
    expect(twice.err.split('\n')[0]).toBe(`apf-lab: experiment ${file} is given twice (name each experiment once)`);
    expect(twice.out).toBe('');
    const same = await cli('reproduce', 'gleb-2010-bm', 'scenarios/gleb-2010-bm.yaml', '--seeds', '1');
    expect(same.code).toBe(2);
    expect(same.err.split('\n')[0]).toBe('apf-lab: experiments gleb-2010-bm and scenarios/gleb-2010-bm.yaml are the same file (name each experiment once)');
  });

  it('--seeds that would run past the largest safe seed is a usage error naming the file, the seed and --seeds (exit 2), before anything runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-reproduce-'));
    const big = join(dir, 'big-seed.yaml');
    try {
      writeFileSync(big, readFileSync(file, 'utf8').replace(/^seed: 1$/m, 'seed: 9007199254740990'));
      const r = await cli('reproduce', big, '--seeds', '3');
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe(`apf-lab: --seeds 3 from ${big}'s seed 9007199254740990 runs past the largest safe seed, 9007199254740991 (at most --seeds 2 from there)`);
      expect(r.out).toBe('');
      // The last two safe seeds still run.
      const fits = JSON.parse((await cli('reproduce', big, '--seeds', '2', '--json')).out);
      expect(fits.experiments[0].rows[0].lab.seeds).toEqual([9007199254740990, 9007199254740991]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('apf-lab reproduce: size', () => {
  it('refuses an experiment above the laptop size limits before it runs, as run does (--allow-large lifts it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-reproduce-'));
    const huge = join(dir, 'huge.yaml');
    try {
      // gleb-2010-bm over 80,000 s: about 7e9 events, which `run` refuses too.
      writeFileSync(huge, readFileSync('scenarios/gleb-2010-bm.yaml', 'utf8').replace(/^durationMs: .*$/m, 'durationMs: 80000000'));
      const r = await cli('reproduce', huge, '--seeds', '1');
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/--allow-large/);
      expect(r.out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('apf-lab reproduce: the scenario is checked as a whole', () => {
  it('refuses knobs another architecture\'s variants refuse, as run and sweep do (it checked only the experiment\'s own variants)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apf-reproduce-'));
    const file = join(dir, 'gleb-ppi.yaml');
    try {
      // gleb-2010-bm runs x86 only; an arm64 PPI of 15 is no PPI, and `run x86` refuses the file.
      writeFileSync(file, `${readFileSync('scenarios/gleb-2010-bm.yaml', 'utf8')}\narch: { arm64: { ppi: 15 } }\n`);
      const run = await cli('run', 'x86', '-s', file);
      const r = await cli('reproduce', file, '--seeds', '1');
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/arch\.arm64\.ppi: 15 is not a PPI INTID/);
      expect(r.err.split('\n')[0].replace(/^apf-lab: /, '')).toBe(run.err.split('\n')[0].replace(/^apf-lab: /, ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
