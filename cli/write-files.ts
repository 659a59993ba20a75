import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { BadInputError } from '../core/errors.js';

/**
 * All the files or none: each is written to a temporary name beside it, then every one is renamed
 * into place. A name taken by a directory is refused before anything is renamed; and should a
 * rename fail all the same, the files it had already put in place that did not exist before are
 * taken away again. `what` names the output in the message ("cannot write the report: …").
 */
export function writeAll(files: readonly [string, string][], what = 'the report'): void {
  const fail = (detail: string): never => {
    throw new BadInputError(`cannot write ${what}: ${detail}`);
  };
  for (const [f] of files) if (existsSync(f) && statSync(f).isDirectory()) fail(`${f} is a directory`);
  const tmp = files.map(([f]) => `${f}.${process.pid}.tmp`);
  const existed = files.map(([f]) => existsSync(f));
  let placed = 0;
  try {
    files.forEach(([, text], i) => writeFileSync(tmp[i], text));
    for (; placed < files.length; placed++) renameSync(tmp[placed], files[placed][0]);
  } catch (e) {
    for (const t of tmp) rmSync(t, { force: true });
    for (let i = 0; i < placed; i++) if (!existed[i]) rmSync(files[i][0], { force: true });
    fail((e as Error).message.split('\n')[0]);
  }
}
