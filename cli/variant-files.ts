import type { Argv } from 'yargs';
import { composeSpec, knownVariants } from '../arches/registry.js';
import type { Variant } from '../core/backend.js';
import { BadInputError } from '../core/errors.js';
import { HARD } from '../core/scenario/limits.js';
import { parseYaml } from '../core/scenario/load.js';
import { readCapped } from '../core/scenario/read.js';
import { UsageError } from './io.js';

/** `--variant-file FILE`, repeatable: variants of the user's own, known to the command like built-ins. */
export function variantFileOption<T>(y: Argv<T>) {
  return y.option('variant-file', {
    type: 'string',
    array: true,
    requiresArg: true,
    describe: 'a variant of your own: YAML naming an arch and one mechanism per dimension (examples/variants/); repeatable',
  });
}

export interface VariantFileArgs {
  variantFile?: string[];
}

/**
 * Reads, parses and composes one variant file. Every problem is bad input naming the file: it
 * cannot be read, its YAML is broken (with the line), a field is wrong (with the field and why),
 * or the mechanisms cannot exist together on its architecture (with the dimension and why).
 */
export function readVariantFile(file: string): Variant {
  if (file === '') throw new UsageError('--variant-file needs a value');
  const raw = parseYaml(readCapped(file, file, HARD.fileBytes, 'variant file'), file);
  return composeSpec(raw, file);
}

/** The variants a command knows: the built-ins, then one per --variant-file, in the order given. */
export function variantsWithFiles(args: VariantFileArgs): { known: readonly Variant[]; fromFiles: readonly Variant[] } {
  const fromFiles: Variant[] = [];
  let known = knownVariants();
  for (const file of args.variantFile ?? []) {
    const v = readVariantFile(String(file));
    try {
      known = knownVariants([...fromFiles, v]);
    } catch (e) {
      if (e instanceof BadInputError) throw new BadInputError(`${file}: ${e.message}`);
      throw e;
    }
    fromFiles.push(v);
  }
  return { known, fromFiles };
}

/** The ids a comparing command runs: those named, then each --variant-file's variant not named too (once). */
export function idsWithFiles(named: readonly string[], fromFiles: readonly Variant[]): string[] {
  return [...named, ...fromFiles.map((v) => v.id).filter((id) => !named.includes(id))];
}
