import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../support/cli.js';

/**
 * `compare --json` on the built binary (the global setup built dist/): every architecture in a
 * comparison has its own no-APF baseline, and each ratio is against that one (DESIGN.md "The
 * backend contract").
 */
const run = promisify(execFile);

interface Entry {
  id: string;
  arch: string;
  baseline: boolean;
  baselineId: string | null;
  workVsBaseline: number | null;
  costs: Record<string, number>;
  metrics: { work: number; exits: Record<string, number> };
}

async function apfLab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('compare x86 arm64-sdei --json (built binary)', () => {
  type Run = ReturnType<typeof apfLab>;
  let doc: { baselines: Record<string, string>; variants: Entry[] };
  // The binary's runs, started together (they take about two runs' time on two cores, not four);
  // each test awaits its own.
  let table: Run;
  let noBaseline: Run;
  let sync: Run;
  beforeAll(async () => {
    table = apfLab('compare', 'x86', 'arm64-sdei');
    noBaseline = apfLab('compare', 'x86', 'arm64-sdei', '--no-baseline', '--json');
    sync = apfLab('run', 'sync');
    const r = await apfLab('compare', 'x86', 'arm64-sdei', '--json');
    expect(r.code).toBe(0);
    doc = JSON.parse(r.stdout);
  }, 60_000);
  const byId = (id: string) => doc.variants.find((v) => v.id === id)!;

  it('every entry says its architecture and whether it is a baseline', () => {
    for (const v of doc.variants) {
      expect(typeof v.arch).toBe('string');
      expect(typeof v.baseline).toBe('boolean');
    }
    expect(doc.variants.map((v) => [v.id, v.arch, v.baseline])).toEqual([
      ['sync-x86', 'x86', true],
      ['x86', 'x86', false],
      ['sync-arm64', 'arm64', true],
      ['arm64-sdei', 'arm64', false],
    ]);
    expect(doc.baselines).toEqual({ x86: 'sync-x86', arm64: 'sync-arm64' });
  });

  it('each APF variant is measured against the baseline of its own architecture', () => {
    for (const v of doc.variants.filter((e) => !e.baseline)) {
      const base = byId(v.baselineId!);
      expect(base.baseline).toBe(true);
      expect(base.arch).toBe(v.arch);
      expect(base.costs).toEqual(v.costs);
      expect(v.workVsBaseline).toBeCloseTo(v.metrics.work / base.metrics.work, 4);
    }
  });

  it('a baseline shows its own architecture\'s exits, not the other one\'s', () => {
    expect(byId('sync-arm64').metrics.exits).toHaveProperty('DABT_LOW');
    expect(byId('sync-arm64').metrics.exits).not.toHaveProperty('EPT_VIOLATION');
    expect(byId('sync-x86').metrics.exits).toHaveProperty('EPT_VIOLATION');
  });

  it('the human table shows each column\'s baseline and the ratio against it', async () => {
    const r = await table;
    const line = (label: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(label))!.trim().split(/\s+/);
    expect(line('baseline').slice(1)).toEqual(['sync-x86', 'sync-x86', 'sync-arm64', 'sync-arm64']);
    const ratios = line('vs baseline (same arch)').slice(4);
    const want = doc.variants.map((v) => `${v.workVsBaseline!.toFixed(2)}×`);
    expect(ratios).toEqual(want);
  });

  it('--no-baseline leaves the baselines out; `run sync` names the per-architecture ids', async () => {
    const a = JSON.parse((await noBaseline).stdout);
    expect(a.variants.map((v: Entry) => [v.id, v.baselineId, v.workVsBaseline])).toEqual([
      ['x86', null, null],
      ['arm64-sdei', null, null],
    ]);
    const r = await sync;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sync-x86 or sync-arm64/);
  });
});
