import { ScenarioError } from './error.js';
import { CappedReadError, readCappedBytes, systemReason } from '../read-capped.js';

/**
 * Reads a scenario file, never more than `cap` bytes (core/read-capped.ts), its failures worded as
 * a scenario's.
 */
export function readCapped(path: string, shown: string, cap: number, kind = 'scenario file'): string {
  try {
    return readCappedBytes(path, cap).toString('utf8');
  } catch (e) {
    if (!(e instanceof CappedReadError)) throw e;
    const f = e.failure;
    if (f.step === 'directory') throw new ScenarioError(shown, '', `is a directory, not a ${kind}`);
    if (f.step === 'too-large') throw tooLarge(shown, cap, kind);
    throw new ScenarioError(shown, '', `cannot ${f.step}: ${why(f.cause)}`);
  }
}

function tooLarge(shown: string, cap: number, kind: string): ScenarioError {
  return new ScenarioError(shown, '', `larger than the ${cap / 1024 / 1024} MiB limit for a ${kind} (README "Limits")`);
}

/** Why a scenario file could not be read, in words; a directory is named as not a scenario file. */
function why(e: unknown): string {
  return (e as { code?: string }).code === 'EISDIR' ? 'is a directory, not a scenario file' : systemReason(e);
}
