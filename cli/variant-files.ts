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
 * A variant file's contents as read and parsed: plain data, which a sweep sends to its worker
 * threads so that they compose the variants the main process checked, never reading the file
 * again (it may have changed, or gone bad, since).
 */
export interface VariantFileData {
  readonly file: string;
  readonly data: unknown;
}

/** Reads and parses one variant file: bad input naming the file if it cannot be read or its YAML is broken (with the line). */
function readVariantData(file: string): VariantFileData {
  if (file === '') throw new UsageError('--variant-file needs a value');
  return { file, data: parseYaml(readCapped(file, file, HARD.fileBytes, 'variant file'), file) };
}

/**
 * The variants a command knows: the built-ins, then one per --variant-file, in the order given.
 * Each file is read, then composed (bad input naming the file: a field is wrong, with the field and
 * why, or the mechanisms cannot exist together on its architecture, with the dimension and why),
 * before the next is read. `files` is what was read, for variantsFromData().
 */
export function variantsWithFiles(args: VariantFileArgs): { known: readonly Variant[]; fromFiles: readonly Variant[]; files: readonly VariantFileData[] } {
  const files: VariantFileData[] = [];
  function* readEach() {
    for (const file of args.variantFile ?? []) {
      files.push(readVariantData(String(file)));
      yield files[files.length - 1];
    }
  }
  return { ...variantsFromData(readEach()), files };
}

/** The variants a command knows from variant files already read: a sweep worker's, from the main process. */
export function variantsFromData(files: Iterable<VariantFileData>): { known: readonly Variant[]; fromFiles: readonly Variant[] } {
  const fromFiles: Variant[] = [];
  let known = knownVariants();
  for (const { file, data } of files) {
    const v = composeSpec(data, file);
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
