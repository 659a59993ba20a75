import { execFile } from 'node:child_process';
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
