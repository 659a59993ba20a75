import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { BadInputError } from '../core/errors.js';

/**
 * Every file to a temporary name first, then renamed: a failure leaves nothing half-written.
 * `what` names the output in the message ("cannot write the report: …").
 */
export function writeAll(files: readonly [string, string][], what = 'the report'): void {
  const tmp = files.map(([f]) => `${f}.${process.pid}.tmp`);
  try {
    files.forEach(([, text], i) => writeFileSync(tmp[i], text));
    files.forEach(([f], i) => renameSync(tmp[i], f));
  } catch (e) {
    for (const t of tmp) rmSync(t, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new BadInputError(`cannot write ${what}: ${err.message.split('\n')[0]}`);
  }
}
