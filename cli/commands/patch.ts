import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { PATCH_SIGNATURES } from '../../arches/patch-signatures.js';
import { VARIANTS } from '../../arches/registry.js';
import { analyzePatch } from '../../core/patch/analyze.js';
import { readPatchText } from '../../core/patch/input.js';
import { readPatchFiles } from '../../core/patch/reader.js';
import { UsageError, type Io } from '../io.js';
import { renderText } from '../render.js';
import { buildPatchView } from '../views/patch.js';
import { COMMANDS, usageLine } from './table.js';

interface PatchArgs {
  files?: string[];
  json: boolean;
}

/**
 * `apf-lab patch <file…>`: a kernel patch, series, mbox or review page read for the APF
 * mechanisms it implements, the variant it matches, its footprint and its review comments.
 */
export function patchCommand(io: Io): CommandModule<object, PatchArgs> {
  return {
    ...usageLine('patch'),
    builder: (y) =>
      y
        .positional('files', { type: 'string', array: true, demandOption: true, describe: 'patch files (several: one series, in order)' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
    handler: (args) => {
      const files = (args.files ?? []).map(String).filter((f) => f !== '');
      if (files.length === 0) throw new UsageError(COMMANDS.patch.missing!);
      // A file given twice would count its hunks and its comments twice.
      const seen = new Set<string>();
      for (const f of files) {
        const key = existsSync(f) ? realpathSync(f) : resolve(f);
        if (seen.has(key)) throw new UsageError(`${f} is given twice (a series names each file once)`);
        seen.add(key);
      }
      const report = analyzePatch(
        readPatchFiles(files, readPatchText),
        PATCH_SIGNATURES,
        VARIANTS.map((v) => ({ id: v.id, arch: v.arch, title: v.title })),
      );
      io.out(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderText('patch', buildPatchView(report)));
    },
  };
}
