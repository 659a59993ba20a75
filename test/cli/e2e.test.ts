import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

import { apfLab, apfLabInterrupted, apfLabOnTerminal, BIN } from '../support/cli.js';

const run = promisify(execFile);

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
    // One variant is enough here: core/determinism.test.ts checks whole comparisons in-process.
    // Two processes at once: each is its own run, and they take one run's time on two cores.
    const [a, b] = await Promise.all([apfLab('run', 'arm64-sdei', '--json'), apfLab('run', 'arm64-sdei', '--json')]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
  });

  it('diff x86 arm64-sdei --what trace adds the SDEI steps, through the worker the simulating commands run in', async () => {
    const r = await apfLab('diff', 'x86', 'arm64-sdei', '--what', 'trace', '--faults', '1');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('--- a/x86\n+++ b/arm64-sdei\n');
    expect(r.stdout).toMatch(/^\+ {2}kvm_sdei_deliver: num 0x40400001 token <token>$/m);
    expect(r.stdout).toMatch(/^ {3}kvm_async_pf_ack$/m);
  });

  it('exits 1 on an unknown variant and 2 on a bad flag, with no stack trace', async () => {
    const [bad, usage] = await Promise.all([apfLab('run', 'nope'), apfLab('run', 'x86', '--nope')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(usage.code).toBe(2);
    expect(usage.stderr).not.toMatch(/\n\s+at /);
  });
});

/** Runs the binary through a shell, for pipes and redirections; returns the exit code and stderr. */
async function viaShell(script: string) {
  try {
    const { stderr } = await run('bash', ['-c', `set -o pipefail; ${script}`]);
    return { code: 0, stderr };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}
const NODE_BIN = `'${process.execPath}' ${BIN}`;

describe('hostile input through the built binary (DESIGN.md "Outputs")', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apf-lab-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a directory, /dev/zero, a 50 MB file and an alias bomb: exit 1, one line each', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, Buffer.alloc(50 * 1024 * 1024, 0x23)); // 50 MB of '#': a comment, if it were read
    const files = ['test/fixtures', '/dev/zero', big, 'test/fixtures/hostile/alias-bomb.yaml'];
    const runs = await Promise.all(files.map((file) => apfLab('run', 'x86', '--scenario', file)));
    for (const [i, file] of files.entries()) {
      const r = runs[i];
      expect(r.code, file).toBe(1);
      expect(r.stderr.split('\n'), file).toHaveLength(2);
      expect(r.stderr.startsWith(`apf-lab: ${file}: `), file).toBe(true);
    }
  });

  it('a reader that closes early is not an error (as coreutils); a full disk is one line, exit 1', async () => {
    // `true` exits before the CLI writes, so the write meets a closed pipe (EPIPE) every time.
    const readers = ['head -c1 >/dev/null', 'true'];
    const [full, ...piped] = await Promise.all([viaShell(`${NODE_BIN} list >/dev/full`), ...readers.map((reader) => viaShell(`${NODE_BIN} list | ${reader}`))]);
    for (const [i, reader] of readers.entries()) {
      expect(piped[i], reader).toEqual({ code: 0, stderr: '' });
    }
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(/^apf-lab: cannot write the output: ENOSPC [^\n]*\n$/);
  });

  // Every command that simulates runs it in a worker, so that Ctrl-C ends it cleanly (cli/main.ts SIMULATING).
  it.each([
    ['run', 'x86', '--scenario', 'test/fixtures/hostile/long-run.yaml'],
    ['trace', 'x86', '--scenario', 'test/fixtures/hostile/long-run.yaml'],
    ['reproduce', 'test/fixtures/hostile/long-experiment.yaml', '--seeds', '1'],
  ])('Ctrl-C stops a long %s: one line, exit 130, nothing on stdout, no progress when piped', async (...args) => {
    const { code, stdout, stderr } = await apfLabInterrupted(1500, ...args);
    expect(code).toBe(130);
    expect(stdout).toBe('');
    expect(stderr).toBe('apf-lab: interrupted; nothing was written\n');
  });

  it('shows progress on a terminal (stderr a TTY, through script(1) where it exists)', () => {
    const text = apfLabOnTerminal(3.5, 'run', 'x86', '-s', 'test/fixtures/hostile/long-run.yaml');
    if (text === null) return;
    expect(text).toMatch(/apf-lab: simulated \d+\.\d{3} s of at most 102\.000 s/);
    expect(text, text).toContain('apf-lab: interrupted; nothing was written');
    expect(text).toContain('EXIT=130');
  });
});
