import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTargets, makeDirectory, writeAll } from '../../cli/write-files.js';
import { BadInputError } from '../../core/errors.js';
import { BIN } from '../support/cli.js';
import { cliInProcess } from '../support/cli-in-process.js';
import { fakePart, fakeSweep } from '../support/sweep-parts.js';

/** README: a report or a sweep writes all its files or none. */
describe('writeAll: all the files or none', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a name taken by a directory is refused before any file is put in place', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    mkdirSync(join(dir, 'b.svg'));
    const files: [string, string][] = [[join(dir, 'a.md'), 'a'], [join(dir, 'b.svg'), 'b'], [join(dir, 'c.svg'), 'c']];
    expect(() => writeAll(files, 'the report', '--out a.md')).toThrow(/^--out a\.md: cannot write the report: .*b\.svg is a directory$/);
    expect(readdirSync(dir)).toEqual(['b.svg']);
  });

  it('checkTargets() refuses beforehand, in the same words, a name writeAll() refuses after the work (hostile sweep defect D1)', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    writeFileSync(join(dir, 'a.md'), 'old');
    mkdirSync(join(dir, 'sub'));
    symlinkSync('sub', join(dir, 'link.svg'));
    checkTargets([join(dir, 'a.md'), join(dir, 'new.svg')], 'the sweep', '--out d');
    for (const name of ['sub', 'link.svg']) {
      const files: [string, string][] = [[join(dir, 'a.md'), 'a'], [join(dir, name), 'b']];
      const words = `--out d: cannot write the sweep: ${join(dir, name)} is a directory`;
      expect(() => checkTargets(files.map(([f]) => f), 'the sweep', '--out d')).toThrow(new BadInputError(words));
      expect(() => writeAll(files, 'the sweep', '--out d')).toThrow(new BadInputError(words));
    }
    expect(readFileSync(join(dir, 'a.md'), 'utf8')).toBe('old');
  });

  it('writes through a symbolic link (the target is replaced, the link stays)', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    writeFileSync(join(dir, 'target.json'), 'old');
    symlinkSync('target.json', join(dir, 'link.json'));
    writeAll([[join(dir, 'link.json'), 'new']], 'the timeline', '--perfetto link.json');
    expect(lstatSync(join(dir, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'target.json'), 'utf8')).toBe('new');
  });

  it.skipIf(!existsSync('/dev/full'))('never replaces a device: /dev/full stays a character device and the write fails with ENOSPC', () => {
    expect(() => writeAll([['/dev/full', 'x']], 'the timeline', '--perfetto /dev/full')).toThrow(/^--perfetto \/dev\/full: cannot write the timeline: ENOSPC/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('a directory that does not exist is named, not the temporary file it was written under', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    const missing = join(dir, 'no', 'such');
    expect(() => writeAll([[join(missing, 'x.md'), 'a']], 'the report', '--out x.md')).toThrow(new RegExp(`^--out x\\.md: cannot write the report: the directory ${missing} does not exist$`));
    expect(() => writeAll([[join(dir, 'a.md'), 'a'], [join(missing, 'b.svg'), 'b']], 'the report', '--out a.md')).toThrow(/: the directory .*\/no\/such does not exist$/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes them all, replacing what was there', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    writeFileSync(join(dir, 'a.md'), 'old');
    writeAll([[join(dir, 'a.md'), 'new'], [join(dir, 'b.svg'), 'b']], 'the report', '--out a.md');
    expect(readFileSync(join(dir, 'a.md'), 'utf8')).toBe('new');
    expect(existsSync(join(dir, 'b.svg'))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['a.md', 'b.svg']);
  });

  it('writes a text given in pieces as the pieces in order (a large timeline is never joined into one string)', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    writeAll([[join(dir, 't.json'), ['{"a":', '"é"', ',"b":[1', ',2]}\n']]], 'the timeline', '--perfetto t.json');
    expect(readFileSync(join(dir, 't.json'), 'utf8')).toBe('{"a":"é","b":[1,2]}\n');
    expect(readdirSync(dir)).toEqual(['t.json']);
  });

  it("writes a generator's pieces in order, each made as it is written (the timeline is never held whole)", () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    const file = join(dir, 't.json');
    const sizes: number[] = [];
    function* pieces() {
      for (let i = 0; i < 5; i++) {
        // What the file holds when each piece is made: the pieces before it, written already.
        sizes.push(readdirSync(dir).length === 0 ? -1 : readFileSync(readdirSync(dir).map((f) => join(dir, f))[0], 'utf8').length);
        yield `${i},`;
      }
    }
    writeAll([[file, pieces()]], 'the timeline', '--perfetto t.json');
    expect(readFileSync(file, 'utf8')).toBe('0,1,2,3,4,');
    expect(sizes).toEqual([0, 2, 4, 6, 8]);
  });

  it('a regular file where the directory should be is named, with the option: afile/r.md crashed with ENOTDIR (exit 3)', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    writeFileSync(join(dir, 'afile'), 'hi');
    const out = join(dir, 'afile', 'r.md');
    expect(() => writeAll([[out, 'a'], [join(dir, 'afile', 'r.time.svg'), 'b']], 'the report', `--out ${out}`)).toThrow(
      new BadInputError(`--out ${out}: cannot write the report: ${dir}/afile is not a directory`),
    );
    expect(readdirSync(dir)).toEqual(['afile']);
  });

  it.skipIf(!existsSync('/proc/self'))('a directory that exists but takes no files (/proc/self) is not called missing', () => {
    expect(() => writeAll([['/proc/self/r.html', 'a']], 'the report', '--out /proc/self/r.html')).toThrow(
      new BadInputError('--out /proc/self/r.html: cannot write the report: the directory /proc/self exists but takes no new files'),
    );
  });
});

describe('report --out and trace --perfetto under a regular file: one line naming the option, exit 1 (it was exit 3, "internal error: ENOTDIR")', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [['report', 'x86', '-s', 'test/fixtures/report-short.yaml', '--out'], 'r.md', 'the report'],
    [['trace', 'x86', '-s', 'test/fixtures/report-short.yaml', '--to-ms', '3', '--perfetto'], 'x.json', 'the timeline'],
  ])('%j', async (argv, name, what) => {
    dir = mkdtempSync(join(tmpdir(), 'apf-write-'));
    writeFileSync(join(dir, 'afile'), 'hi');
    const out = join(dir, 'afile', name);
    const r = await cliInProcess(...argv, out);
    expect(r.err).toBe(`apf-lab: ${argv.at(-1)} ${out}: cannot write ${what}: ${dir}/afile is not a directory\n`);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
  }, 60_000);
});

/**
 * A sweep's --out directory. Node 20's mkdirSync(dir, { recursive: true }) spun for ever at 100 % CPU
 * on /proc/apf (its parent exists but takes no entries; mkdir says ENOENT, read as a missing parent).
 */
describe('makeDirectory: the missing levels one at a time, one line when it cannot', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes every missing level, and leaves an existing directory alone', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-mkdir-'));
    makeDirectory(join(dir, 'a', 'b', 'c'), '--out');
    expect(statSync(join(dir, 'a', 'b', 'c')).isDirectory()).toBe(true);
    makeDirectory(join(dir, 'a'), '--out');
  });

  it('names a regular file in the way', () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-mkdir-'));
    writeFileSync(join(dir, 'afile'), 'hi');
    expect(() => makeDirectory(join(dir, 'afile', 'sub', 'x'), '--out')).toThrow(`--out ${dir}/afile/sub/x: cannot make the directory: ${dir}/afile is not a directory`);
    expect(() => makeDirectory(join(dir, 'afile'), '--out')).toThrow(`cannot make the directory: ${dir}/afile is not a directory`);
  });

  it.skipIf(!existsSync('/proc/self'))('sweep merge --out /proc/apf exits 1 with one line instead of spinning (built binary, killed after 20 s)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'apf-mkdir-'));
    const part = join(dir, 'part-1-of-1.json');
    writeFileSync(part, JSON.stringify(fakePart(fakeSweep(), 1, 1)));
    for (const [out, parent] of [['/proc/apf', '/proc'], ['/proc/1/nope', '/proc/1']]) {
      const r = await promisify(execFile)(process.execPath, [BIN, 'sweep', 'merge', part, '--out', out], { timeout: 20_000 }).then(
        () => ({ code: 0, stderr: '', signal: null }),
        (e: { code: number | null; stderr: string; signal: string | null }) => e,
      );
      expect(r.signal).toBe(null);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`apf-lab: --out ${out}: cannot make the directory: ${parent} takes no new entries\n`);
    }
  }, 60_000);
});
