import { BadInputError } from '../errors.js';
import { displayName, splitMails, withoutReplyPrefixes, type Mail } from './mail.js';
import { findDiffstat } from './hunkless.js';
import { decodeMail } from './mime.js';
import type { PatchMessage, RawComment } from './model.js';
import { isReviewPage, readReviewPage, trimBlank } from './review-page.js';
import { diffStart, readDiff } from './unified.js';

/**
 * A web page as a browser saves it (`<!DOCTYPE html>`, `<html>`): a mail archive's view of a
 * message or thread, with its diff split by markup and its `<`, `>` and `&` escaped. Read as
 * text it was "a series cover letter" (its diffstat line is plain), or worse (hostile round hE).
 */
const HTML_PAGE = /^\s*<(?:!doctype\s+html|html)[\s>]/i;

/**
 * One input file's messages and comments, and its text as written (`text`, with a mail sent
 * quoted-printable or base64 decoded) for what a file without a hunk is said to be.
 * `firstMessage` and `firstComment` continue the numbering of the files before it, so that a
 * series reads as one.
 */
export function input(source: string, text: string, firstMessage: number, firstComment: number): { messages: PatchMessage[]; comments: RawComment[]; text: string } {
  if (HTML_PAGE.test(text.slice(0, 1024))) {
    throw new BadInputError(`${source}: a web page (HTML), not a patch: save the mail itself (the archive's "raw" or mbox link, or b4 mbox <message-id>), or a review page as text`);
  }
  const lines = text.split('\n');
  if (isReviewPage(lines)) return { ...reviewPage(source, lines, firstMessage, firstComment), text };
  const messages: PatchMessage[] = [];
  const comments: RawComment[] = [];
  const sent = splitMails(text);
  const mails = sent.map((m) => decodeMail(source, m));
  const decoded = mails.some((m, k) => m.body !== sent[k].body);
  for (const mail of mails) {
    const m = mailMessage(source, mail, firstMessage + messages.length);
    if (m.files.length > 0 || m.combined.length > 0 || m.kind === 'cover-letter') messages.push(m);
    else if (m.from !== null) {
      const inReplyTo = /<([^<>]+)>/.exec(mail.headers['in-reply-to'] ?? '')?.[1] ?? null;
      comments.push({ number: firstComment + comments.length, source, author: displayName(m.from), date: m.date, body: withoutSignature(mail.body), messageId: m.messageId, inReplyTo, subject: m.subject });
    }
  }
  return { messages, comments, text: decoded ? mails.map((m) => m.body.join('\n')).join('\n') : text };
}

/**
 * The title git format-patch --interdiff writes above the interdiff it puts in a cover letter
 * ("Interdiff against v1:", builtin/log.c): a diff between two versions of the series, not a change
 * the series makes. In a single patch git indents it; in a cover letter it is not.
 */
const INTERDIFF_TITLE = /^Interdiff(?: against .+)?:\s*$/;

function mailMessage(source: string, mail: Mail, number: number): PatchMessage {
  const h = mail.headers;
  const subject = h.subject ?? null;
  const reply = subject !== null && withoutReplyPrefixes(subject) !== subject;
  // A reviewer's reply may carry a diff of its own ("Something like this (untested):"): a
  // suggestion, not a change of the series, and often written by hand with counts that do not add
  // up. Read as a patch, it was counted in the footprint and its remarks lost, or the thread was
  // refused as damaged (hostile round hE). A revised patch sent in the thread keeps its [PATCH].
  const suggestion = reply && h.from !== undefined;
  const at = suggestion ? -1 : diffStart(mail.body);
  // A cover letter's interdiff read as a patch counted its hunks a second time (hostile round hE).
  const d = at > 0 && INTERDIFF_TITLE.test(mail.body[at - 1]) ? -1 : at;
  const commitMessage = trimBlank(d < 0 ? withoutSignature(mail.body) : mail.body.slice(0, d));
  const { files, combined } = d < 0 ? { files: [], combined: [] } : readDiff(mail.body, d, number, source, (i) => lineAt(mail.bodyLines, i));
  const diffstat = findDiffstat(commitMessage.join('\n'));
  return {
    number,
    source,
    // A file's diff without a hunk (a pure rename, a mode change, a binary file) is still a patch:
    // a cover letter carries a diffstat, never a `diff --git` (hostile round hE: `[PATCH 2/6] KVM:
    // pure rename` was listed as a cover letter, and the series' patch count was short of it).
    kind: files.length > 0 || combined.length > 0 ? 'patch' : diffstat !== null && !reply ? 'cover-letter' : 'reply',
    subject,
    from: h.from ?? null,
    date: h.date ?? null,
    messageId: h['message-id']?.replace(/^<|>$/g, '') ?? null,
    commitMessage,
    diffstat,
    files,
    combined,
  };
}

function reviewPage(source: string, lines: readonly string[], number: number, firstComment: number): { messages: PatchMessage[]; comments: RawComment[] } {
  const page = readReviewPage(lines);
  const message: PatchMessage = {
    number,
    source,
    kind: 'patch',
    subject: page.subject,
    from: page.author,
    date: page.date,
    messageId: page.messageId,
    commitMessage: page.commitMessage,
    diffstat: findDiffstat(page.commitMessage.join('\n')),
    ...readDiff(page.patch, 0, number, source, (i) => page.patchLine + i + 1),
  };
  const comments = page.comments.map((c, i) => ({ number: firstComment + i, source, author: c.author, date: c.date, body: c.body }));
  return { messages: [message], comments };
}

/** The file line of body line `i`; past the end (a hunk cut short by the end of the mail), the lines after the last. */
function lineAt(lines: readonly number[], i: number): number {
  return i < lines.length ? lines[i] : (lines.at(-1) ?? 0) + i - lines.length + 1;
}

/** A mail's body without its signature (`-- ` and what follows: git's version, a list footer). */
function withoutSignature(body: readonly string[]): string[] {
  const i = body.indexOf('-- ');
  return [...(i < 0 ? body : body.slice(0, i))];
}
