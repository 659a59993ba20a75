import { accessSync, closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { BadInputError } from '../core/errors.js';
import { systemReason } from '../core/read-capped.js';

/**
 * All the files or none: each is written to a temporary name beside it, then every one is renamed
 * into place. A name taken by a directory is refused before anything is renamed; and should a
 * rename fail all the same, the files it had already put in place that did not exist before are
 * taken away again. A symbolic link is written through (its target is replaced), and a name that
 * is not a regular file (a FIFO, /dev/stdout, a device) is written to as it is, never replaced:
 * renaming over it would swap a device node for a file. `what` names the output in the message,
 * after `flag`, the option that named it as typed ("--out r.md"). A file's text may come in pieces,
 * written one after another: a large output (a million-event timeline) is never joined into one
 * string, nor copied whole into a buffer. Pieces from a generator are taken once, as they are written.
 */
export function writeAll(files: readonly [string, FileText][], what: string, flag: string): void {
  const fail = (detail: string): never => {
    throw new BadInputError(`${flag}: cannot write ${what}: ${detail}`);
  };
  const targets = files.map(([given, text]) => ({ given, text, ...target(given, fail) }));
  const special = targets.filter((t) => t.special);
  const regular = targets.filter((t) => !t.special);
  try {
    // First, what cannot be undone the least: a write to a device or a pipe that fails stops here.
    for (const t of special) writeToReader(t.path, t.text);
  } catch (e) {
    fail((e as Error).message.split('\n')[0]);
  }
  const tmp = regular.map((t) => `${t.path}.${process.pid}.tmp`);
  const existed = regular.map((t) => existsSync(t.path));
  let placed = 0;
  let at = 0;
  try {
    for (; at < regular.length; at++) writeText(tmp[at], regular[at].text);
    for (; placed < regular.length; placed++) {
      at = placed;
      renameSync(tmp[placed], regular[placed].path);
    }
  } catch (e) {
    for (const t of tmp) removeQuietly(t);
    for (let i = 0; i < placed; i++) if (!existed[i]) removeQuietly(regular[i].path);
    fail(failure(e, regular[at].given, tmp[at]));
  }
}

/** A file's text: one string, or pieces written in order (a generator's: each made when it is taken). */
export type FileText = string | Iterable<string>;

/** writeFileSync(), piece by piece: each piece is encoded and written on its own. */
function writeText(path: string, text: FileText): void {
  const fd = openSync(path, 'w');
  try {
    for (const piece of typeof text === 'string' ? [text] : text) writeSync(fd, piece);
  } finally {
    closeSync(fd);
  }
}

/**
 * writeText() to a pipe or a device: a reader that closed early (EPIPE: `--perfetto /dev/stdout |
 * head -c1`) takes no more, and that is not an error, as for stdout (cli/output-stream.ts) and
 * coreutils; the rest of that file is dropped.
 */
function writeToReader(path: string, text: FileText): void {
  try {
    writeText(path, text);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EPIPE') throw e;
  }
}

/**
 * Where writeAll() writes `given`, or `fail` if it cannot: a name taken by a directory. stat()
 * follows a link: /dev/stdout is a link to a pipe or a terminal, written to as such (special).
 */
function target(given: string, fail: (detail: string) => never): { path: string; special: boolean } {
  const st = existsSync(given) ? statSync(given) : null;
  if (st?.isDirectory()) fail(`${given} is a directory`);
  const special = st !== null && !st.isFile();
  const path = !special && st !== null && lstatSync(given).isSymbolicLink() ? realpathSync(given) : given;
  return { path, special };
}

/**
 * Refuses, before any work, the names writeAll() would refuse once the work is done, in the same
 * words: one taken by a directory, or one this process may not write (a device or a pipe itself;
 * for a file, the directory its temporary name goes in, which for a link is the target's). Call
 * it after checkDirectory(), which checks the directory the names go in. A write that fails only
 * when it is made (a link to /dev/full: ENOSPC) cannot be foreseen without writing.
 */
export function checkTargets(names: readonly string[], what: string, flag: string): void {
  const fail = (detail: string): never => {
    throw new BadInputError(`${flag}: cannot write ${what}: ${detail}`);
  };
  for (const given of names) {
    const { path, special } = target(given, fail);
    const where = special ? path : dirname(path);
    // A directory still to be made is checkDirectory()'s to judge.
    if (!existsSync(where)) continue;
    try {
      accessSync(where, special ? constants.W_OK : constants.W_OK | constants.X_OK);
    } catch (e) {
      fail(`${where}: ${systemReason(e)}`);
    }
  }
}

/**
 * Takes away what a failed write left. rmSync's `force` forgives only ENOENT: a temporary name
 * under a regular file (afile/r.md.123.tmp) throws ENOTDIR, and was never made anyway.
 */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Nothing there to take away; the write's own failure is the one to report.
  }
}

/**
 * Why a file could not be written, named as the user gave it: the temporary name it was being
 * written under (with this process's pid) means nothing to them. A missing directory, a regular
 * file where a directory should be, and a directory that takes no files (/proc/self) are told apart.
 */
function failure(e: unknown, given: string, tmp: string): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    const dir = dirname(given);
    const { at, stats, missing } = nearestExisting(dir);
    if (!stats.isDirectory()) return `${at} is not a directory`;
    if (missing.length > 0) return `the directory ${dir} does not exist`;
    return `the directory ${dir} exists but takes no new files`;
  }
  return `${given}: ${systemReason(e).split(tmp).join(given)}`;
}

/**
 * Makes the directory `dir` and whatever of its ancestors is missing, one level at a time, for the
 * option `flag` ("--out"). Not mkdirSync(dir, { recursive: true }): Node 20's loops for ever when a
 * parent exists but takes no new entries (/proc/apf: mkdir answers ENOENT, which the recursive walk
 * reads as "make the parent first"); a plain mkdir of each level fails once, with a reason.
 */
export function makeDirectory(dir: string, flag: string): void {
  const fail = (detail: string): never => {
    throw new BadInputError(`${flag} ${dir}: cannot make the directory: ${detail}`);
  };
  const { at, stats, missing } = nearestExisting(dir);
  if (!stats.isDirectory()) fail(`${at} is not a directory`);
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (e) {
      // The level above exists (made or found just now): ENOENT means it cannot hold new entries.
      const code = (e as { code?: string }).code;
      fail(code === 'ENOENT' ? `${dirname(level)} takes no new entries` : `${level}: ${systemReason(e)}`);
    }
  }
}

/**
 * Refuses, before any work, a directory `makeDirectory()` could not make or fill: a regular file on
 * the path, or a nearest existing directory this process may not write (a read-only file system
 * answers EROFS here). A sweep writes its --out only after its runs, which can take hours; this
 * and checkTargets() say so at once. Not every refusal can be foreseen (/proc answers mkdir with
 * ENOENT only when asked), so makeDirectory() still checks as it goes.
 */
export function checkDirectory(dir: string, flag: string): void {
  const { at, stats } = nearestExisting(dir);
  const fail = (detail: string): never => {
    throw new BadInputError(`${flag} ${dir}: cannot make the directory: ${detail}`);
  };
  if (!stats.isDirectory()) fail(`${at} is not a directory`);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (e) {
    fail(`${at}: ${systemReason(e)}`);
  }
}

/**
 * The nearest of `path` and its ancestors that exists (a symbolic link followed), and the levels
 * missing below it, top first. A level under a regular file (ENOTDIR) counts as missing, so that
 * the file is what is found; any other failure to look (EACCES) is bad input naming the path.
 */
export function nearestExisting(path: string): { at: string; stats: Stats; missing: string[] } {
  const missing: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    let stats: Stats | undefined;
    try {
      stats = statSync(at, { throwIfNoEntry: false });
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOTDIR') throw new BadInputError(`${at}: ${systemReason(e)}`);
    }
    if (stats) return { at, stats, missing };
    missing.unshift(at);
    // dirname() of '/' or '.' is itself, and both exist; this only guards against a loop.
    if (dirname(at) === at) throw new BadInputError(`${at}: no such directory`);
  }
}
