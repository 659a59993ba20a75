import { displayName, splitMails, type Mail } from './mail.js';
import { findDiffstat } from './hunkless.js';
import type { PatchMessage, RawComment } from './model.js';
import { isReviewPage, readReviewPage, trimBlank } from './review-page.js';
import { diffStart, readDiff } from './unified.js';

/**
 * One input file's messages and comments. `firstMessage` and `firstComment` continue the
 * numbering of the files before it, so that a series reads as one.
 */
export function input(source: string, text: string, firstMessage: number, firstComment: number): { messages: PatchMessage[]; comments: RawComment[] } {
  const lines = text.split('\n');
  if (isReviewPage(lines)) return reviewPage(source, lines, firstMessage, firstComment);
  const messages: PatchMessage[] = [];
  const comments: RawComment[] = [];
  for (const mail of splitMails(text)) {
    const m = mailMessage(source, mail, firstMessage + messages.length);
    if (m.files.length > 0 || m.combined.length > 0 || m.kind === 'cover-letter') messages.push(m);
    else if (m.from !== null) comments.push({ number: firstComment + comments.length, source, author: displayName(m.from), date: m.date, body: withoutSignature(mail.body) });
  }
  return { messages, comments };
}

function mailMessage(source: string, mail: Mail, number: number): PatchMessage {
  const h = mail.headers;
  const d = diffStart(mail.body);
  const commitMessage = trimBlank(d < 0 ? withoutSignature(mail.body) : mail.body.slice(0, d));
  const { files, combined } = d < 0 ? { files: [], combined: [] } : readDiff(mail.body, d, number, source, mail.bodyLine);
  const subject = h.subject ?? null;
  const diffstat = findDiffstat(commitMessage.join('\n'));
  const reply = subject !== null && /^\s*(re|aw|sv)\s*:/i.test(subject);
  const hasHunks = files.some((f) => f.hunks.length > 0);
  return {
    number,
    source,
    kind: hasHunks || combined.length > 0 ? 'patch' : diffstat !== null && !reply ? 'cover-letter' : 'reply',
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
    ...readDiff(page.patch, 0, number, source, page.patchLine),
  };
  const comments = page.comments.map((c, i) => ({ number: firstComment + i, source, author: c.author, date: c.date, body: c.body }));
  return { messages: [message], comments };
}

/** A mail's body without its signature (`-- ` and what follows: git's version, a list footer). */
function withoutSignature(body: readonly string[]): string[] {
  const i = body.indexOf('-- ');
  return [...(i < 0 ? body : body.slice(0, i))];
}
