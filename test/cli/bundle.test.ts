import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/commands/table.js';
import { BIN } from '../support/cli.js';

const run = promisify(execFile);

/** The unbundled build of the same CLI (tsc's dist/), which loads yargs with the real string-width. */
const UNBUNDLED = 'dist/cli/main.js';

async function output(bin: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args]);
    return `0\n${stdout}\n${stderr}`;
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return `${err.code}\n${err.stdout}\n${err.stderr}`;
  }
}

describe('the installed binary is the bundle', () => {
  it('package.json bin names it', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin['apf-lab']).toBe(BIN);
  });

  // The bundle measures help columns with cli/narrow-width.ts instead of string-width: the help
  // of every command, and a usage error's help, must come out exactly as the unbundled CLI's.
  const lines = [['--help'], ...Object.keys(COMMANDS).map((name) => [name, '--help']), ['compare', '--no-such-flag']];
  it.each(lines)('%s %s prints exactly what the unbundled CLI prints', async (...args) => {
    const [bundled, unbundled] = await Promise.all([output(BIN, args), output(UNBUNDLED, args)]);
    expect(bundled.length).toBeGreaterThan(100);
    expect(bundled).toBe(unbundled);
  });
});
