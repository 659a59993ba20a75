import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ScenarioError } from './error.js';
import { systemReason } from '../read-capped.js';

/**
 * Reads a scenario file, never more than `cap` bytes. The size from stat() is checked first, but
 * devices and pipes report 0 (`/dev/zero` is endless), so the read itself stops at cap + 1 bytes.
 */
export function readCapped(path: string, shown: string, cap: number, kind = 'scenario file'): string {
  const fd = open(path, shown);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ScenarioError(shown, '', `is a directory, not a ${kind}`);
    if (st.size > cap) throw tooLarge(shown, cap, kind);
    const buf = Buffer.alloc(cap + 1);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
    }
    if (got > cap) throw tooLarge(shown, cap, kind);
    return buf.toString('utf8', 0, got);
  } catch (e) {
    if (e instanceof ScenarioError) throw e;
    throw new ScenarioError(shown, '', `cannot read: ${why(e)}`);
  } finally {
    closeSync(fd);
  }
}

function open(path: string, shown: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new ScenarioError(shown, '', `cannot open: ${why(e)}`);
  }
}

function tooLarge(shown: string, cap: number, kind: string): ScenarioError {
  return new ScenarioError(shown, '', `larger than the ${cap / 1024 / 1024} MiB limit for a ${kind} (README "Limits")`);
}

/** Why a scenario file could not be read, in words; a directory is named as not a scenario file. */
function why(e: unknown): string {
  return (e as { code?: string }).code === 'EISDIR' ? 'is a directory, not a scenario file' : systemReason(e);
}
