import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';

/** The CLI in-process, with captured output (STYLE.md §4). */
async function cli(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('apf-lab CLI (in-process)', () => {
  it('compare --json has the documented fields, sync first as the baseline', async () => {
    const r = await cli('compare', 'x86', 'arm64-sdei', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.scenario.name).toBe('overcommit');
    expect(doc.seed).toBe(1);
    expect(doc.variants.map((v: { id: string }) => v.id)).toEqual(['sync', 'x86', 'arm64-sdei']);
    for (const v of doc.variants) {
      expect(typeof v.metrics.work).toBe('number');
      expect(typeof v.metrics.apf.notPresentDelivered).toBe('number');
      expect(typeof v.metrics.apf.readyDelivered).toBe('number');
      expect(typeof v.metrics.apf.halts).toBe('number');
      expect(v.metrics.apf.syncFallbacks).toBeTypeOf('object');
      expect(v.metrics.exits).toBeTypeOf('object');
      expect(Object.keys(v.metrics.faultLatencyNs)).toEqual(expect.arrayContaining(['p50', 'p99', 'max']));
      expect(Array.isArray(v.invariants.violations)).toBe(true);
    }
  });

  it('--no-baseline leaves sync out; --seed changes the numbers', async () => {
    const a = JSON.parse((await cli('compare', 'x86', '--no-baseline', '--json', '--seed', '5')).out);
    expect(a.variants.map((v: { id: string }) => v.id)).toEqual(['x86']);
    expect(a.seed).toBe(5);
    const b = JSON.parse((await cli('compare', 'x86', '--no-baseline', '--json', '--seed', '6')).out);
    expect(a.variants[0].metrics.work).not.toBe(b.variants[0].metrics.work);
  });

  it('an unknown variant is bad input (exit 1) and lists the known ones', async () => {
    const r = await cli('compare', 'x86', 'arm64-nope');
    expect(r.code).toBe(1);
    expect(r.err).toBe('apf-lab: unknown variant "arm64-nope" (known: sync, x86, arm64-sdei)\n');
    expect(r.out).toBe('');
  });

  it('an unknown flag is a usage error (exit 2) with usage, and prints nothing on stdout', async () => {
    const r = await cli('compare', 'x86', '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown argument: frobnicate/);
    expect(r.err).toMatch(/apf-lab compare <variants\.\.>/);
    expect(r.out).toBe('');
  });

  it('no command is a usage error', async () => {
    expect((await cli()).code).toBe(2);
  });

  it('a non-integer seed is a usage error', async () => {
    expect((await cli('run', 'x86', '--seed', '1.5')).code).toBe(2);
  });

  it('a malformed scenario is bad input naming file and field', async () => {
    const r = await cli('run', 'x86', '--scenario', 'test/fixtures/bad-region.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toBe('apf-lab: test/fixtures/bad-region.yaml: tasks[0].program[0].touch.region: unknown region "b" (known: a)\n');
  });

  it('a bad override in a scenario names the key and the known ones', async () => {
    const r = await cli('run', 'x86', '--scenario', 'test/fixtures/bad-cost.yaml');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^apf-lab: test\/fixtures\/bad-cost\.yaml: costs\.x86\.exitCycle: unknown key \(known: .*exitCycles/);
  });

  it('list shows every variant and the built-in scenario', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    for (const id of ['sync', 'x86', 'arm64-sdei', 'overcommit']) expect(r.out).toContain(id);
  });
});
