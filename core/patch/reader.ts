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
  refuseRepeatedMails(messages);
  const any = messages.some((m) => m.files.some((f) => f.hunks.length > 0));
  const bad = any ? hunkless.find((h) => !h.useful) : hunkless[0];
  if (bad) throw new BadInputError(`${bad.path}: ${describeHunkless(bad.text)}`);
  return { files, messages, comments };
}

/**
 * One mail given twice (a patch in the `b4 am` mbox and as its own file, or an mbox saved twice
 * over) counted its hunks twice, as a file given twice would (hostile round hE). A mail is known by
 * its Message-ID, and by its From, Date and Subject together (git format-patch writes no
 * Message-ID): two patches of a series differ in Subject, two versions of one patch in Date.
 */
function refuseRepeatedMails(messages: readonly PatchMessage[]): void {
  const seen = new Map<string, PatchMessage>();
  for (const m of messages) {
    // Both names, so that a mail with its Message-ID (b4 am) and without (git format-patch) meet.
    const keys = [m.messageId !== null ? `id ${m.messageId}` : null, m.from !== null && m.date !== null && m.subject !== null ? `mail ${m.from}\0${m.date}\0${m.subject}` : null].filter((k) => k !== null);
    const first = keys.map((k) => seen.get(k)).find((x) => x !== undefined);
    if (first === undefined) {
      for (const k of keys) seen.set(k, m);
      continue;
    }
    const what = m.messageId !== null && m.messageId === first.messageId ? `<${m.messageId}>` : `"${m.subject}" of ${m.date}`;
    const where = first.source === m.source ? `mails ${first.number} and ${m.number}` : `${first.source} and ${m.source}`;
    throw new BadInputError(`${m.source}: the mail ${what} is given twice (${where}): a series names each mail once, or its hunks are counted twice`);
  }
}
