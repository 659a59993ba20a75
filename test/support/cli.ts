import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The built binary, run the way a user runs it (the global setup built dist/). */
const run = promisify(execFile);
export const BIN = 'dist/bin/apf-lab.js';

export async function apfLab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The built binary, sent Ctrl-C (SIGINT) `afterMs` after it started, as a user at a terminal would. */
export async function apfLabInterrupted(afterMs: number, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  setTimeout(() => child.kill('SIGINT'), afterMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/**
 * The built binary with `args`, its stderr a terminal (a pseudo-terminal from script(1)), sent
 * Ctrl-C after `seconds`: what the terminal showed, then `EXIT=<code>`; null where script(1) is missing.
 */
export function apfLabOnTerminal(seconds: number, ...args: string[]): string | null {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
  } catch {
    return null; // no script(1): no pseudo-terminal to test with
  }
  const dir = mkdtempSync(join(tmpdir(), 'apf-lab-tty-'));
  try {
    const log = join(dir, 'typescript');
    const cmd = `timeout --preserve-status -s INT ${seconds} '${process.execPath}' ${BIN} ${args.join(' ')}; echo EXIT=$?`;
    execFileSync('script', ['-qec', cmd, log], { stdio: 'ignore', timeout: 20_000 });
    return readFileSync(log, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
