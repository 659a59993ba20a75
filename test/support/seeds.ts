import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The shared seeds (DESIGN.md: `../shared/seeds/` next to the repository), by their number. */
export const SEEDS_DIR = resolve('..', 'shared', 'seeds');

export function seedPath(number: '001' | '002' | '003' | '004'): string {
  const name = readdirSync(SEEDS_DIR).find((f) => f.startsWith(`${number}_`));
  if (!name) throw new Error(`seed ${number} not found in ${SEEDS_DIR}`);
  return join(SEEDS_DIR, name);
}
