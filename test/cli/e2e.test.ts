import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/** The built binary, run the way a user runs it (the global setup built dist/). */
const run = promisify(execFile);
const BIN = 'dist/cli/main.js';

async function apfLab(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('apf-lab (built binary)', () => {
  it('compare x86 arm64-sdei prints the side-by-side table with each architecture\'s sync baseline', async () => {
    const r = await apfLab('compare', 'x86', 'arm64-sdei');
    expect(r.code).toBe(0);
    const header = r.stdout.split('\n').find((l) => l.includes('arm64-sdei') && l.includes('sync'))!;
    expect(header.trim().split(/\s+/)).toEqual(['sync-x86', 'x86', 'sync-arm64', 'arm64-sdei']);
    for (const row of ['total', 'vs baseline (same arch)', 'blocked in sync fault', 'sync: kernel-mode', 'halt: kernel-mode', 'exits per fault', 'p99', 'invariants (7 checked)']) {
      expect(r.stdout).toContain(row);
    }
    expect(r.stdout).not.toMatch(/FAIL/);
  });

  it('--json on the binary is byte-identical across runs', async () => {
    const a = await apfLab('compare', 'x86', 'arm64-sdei', '--json');
    const b = await apfLab('compare', 'x86', 'arm64-sdei', '--json');
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('exits 1 on an unknown variant and 2 on a bad flag, with no stack trace', async () => {
    const bad = await apfLab('run', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const usage = await apfLab('run', 'x86', '--nope');
    expect(usage.code).toBe(2);
    expect(usage.stderr).not.toMatch(/\n\s+at /);
  });
});
