import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labVersion } from '../version.js';

const here = dirname(fileURLToPath(import.meta.url));
let build: string | null = null;

/**
 * The apf-lab build a sweep's runs come from, recorded in each part so that `sweep merge` refuses
 * parts of different builds: the version alone does not tell them apart (every build of the
 * working tree is 0.1.0), and a change to the model changes the figures.
 *
 * It is the version and the first 12 hex digits of a SHA-256 of the code that runs, by name and
 * content. In the bundle (dist/bin/, what the apf-lab command runs) that is every .js file there:
 * the entry points, the worker and the chunks; esbuild writes the same bytes for the same
 * sources, so a build has one id on every machine it is copied to. Unbundled (tsc's dist/, or the
 * sources under the test runner) it is the files of core/, arches/ and cli/. Only the main
 * process reads it, from the files its workers load too. Hashing about a megabyte takes a few
 * milliseconds, once per process; nothing has to be written at build time.
 */
export function labBuild(): string {
  if (build !== null) return build;
  const bundled = !(basename(here) === 'sweep' && basename(dirname(here)) === 'cli');
  const root = bundled ? here : resolve(here, '../..');
  const files = bundled ? codeFiles(here, false) : ['core', 'arches', 'cli'].flatMap((d) => codeFiles(join(root, d), true));
  const hash = createHash('sha256');
  for (const file of files.sort()) {
    const text = readFileSync(file);
    hash.update(`${relative(root, file)}\0${text.length}\0`).update(text);
  }
  return (build = `${labVersion()}+${hash.digest('hex').slice(0, 12)}`);
}

/** The code files in `dir` (and below it, if `deep`): .js and .ts, not declarations. */
function codeFiles(dir: string, deep: boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return deep ? codeFiles(path, true) : [];
    return /\.(js|ts)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}
