import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let version: string | null = null;

/**
 * The lab's version, from its package.json: one level up from cli/ (tests run the sources), two
 * from dist/cli/ and dist/bin/ (the built CLI and its bundle), as templatesDir() finds templates/.
 */
export function labVersion(): string {
  if (version !== null) return version;
  for (const up of ['..', '../..']) {
    const file = join(resolve(here, up), 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'apf-lab') return (version = pkg.version ?? 'unknown');
  }
  return (version = 'unknown');
}
