import { BadInputError } from '../errors.js';
import { describeHunkless, findDiffstat } from './hunkless.js';
import { input as inputFile } from './reader-file.js';
import type { PatchInput, PatchMessage, RawComment } from './model.js';

/**
 * Reads the files of `apf-lab patch` in the order given: several files are one series. Each
 * file is a patch, a series or an mbox (patches, cover letter and replies), or a review page. A
 * series needs at least one hunk; a file that adds nothing to it (notes, an empty diff) is bad
 * input, while a cover letter or a reply next to the patches is read with them.
 */
export function readPatchFiles(paths: readonly string[], read: (path: string) => { text: string; bytes: number }): PatchInput {
  const messages: PatchMessage[] = [];
  const comments: RawComment[] = [];
  const files: PatchInput['files'][number][] = [];
  const hunkless: { path: string; text: string; useful: boolean }[] = [];
  for (const path of paths) {
    const { text, bytes } = read(path);
    const got = inputFile(path, text, messages.length + 1, comments.length + 1);
    messages.push(...got.messages);
    comments.push(...got.comments);
    files.push({ path, bytes, messages: got.messages.length, comments: got.comments.length });
    const hunks = got.messages.some((m) => m.files.some((f) => f.hunks.length > 0));
    if (!hunks) hunkless.push({ path, text: got.text, useful: got.comments.length > 0 || findDiffstat(got.text) !== null });
  }
  const any = messages.some((m) => m.files.some((f) => f.hunks.length > 0));
  const bad = any ? hunkless.find((h) => !h.useful) : hunkless[0];
  if (bad) throw new BadInputError(`${bad.path}: ${describeHunkless(bad.text)}`);
  return { files, messages, comments };
}
