import type { PatchReport } from '../../core/patch/analyze.js';
import type { AttachedComment, Target } from '../../core/patch/attach.js';
import { FOOTPRINT_GROUP_NAMES } from '../../core/patch/footprint-rules.js';
import type { Candidate } from '../../core/patch/match.js';
import type { HunkRef } from '../../core/patch/model.js';
import { count, plural } from './format.js';

/** The terminal view of `apf-lab patch` (templates/text/patch.text.hbs): every string made here. */
export interface PatchView {
  readonly title: string;
  /** One line on the merge (`diff --cc`) sections left out of every count; null where there are none. */
  readonly notice: string | null;
  readonly messages: readonly { readonly head: string; readonly by: string | null }[];
  readonly groups: readonly { readonly name: string; readonly summary: string; readonly paths: readonly { readonly path: string; readonly counts: string }[] }[];
  readonly groupWidth: number;
  readonly pathWidth: number;
  readonly mechanismsTitle: string;
  readonly slots: readonly { readonly slot: string; readonly rows: readonly { readonly means: string; readonly where: string }[] }[];
  readonly matchTitle: string;
  readonly candidates: readonly { readonly id: string; readonly score: string; readonly why: string }[];
  readonly idWidth: number;
  readonly matchNote: string;
  readonly commentsTitle: string;
  readonly comments: readonly { readonly head: string; readonly remarks: readonly { readonly where: string; readonly text: string }[] }[];
}

/** How wide a reviewer's words are shown: the first paragraph, cut here. */
export const REMARK_WIDTH = 100;

export function buildPatchView(r: PatchReport): PatchView {
  const f = r.footprint;
  const patches = r.messages.filter((m) => m.kind === 'patch').length;
  const sources = r.files.map((x) => baseName(x.path)).join(' ');
  const allHunks = r.messages.flatMap((m) => m.files.flatMap((x) => x.hunks.map(() => m.number)));
  const groups = f.groups.map((g) => ({
    name: FOOTPRINT_GROUP_NAMES[g.group],
    summary: g.files === 0 ? 'none' : `${plural(g.files, 'file')}, ${counts(g.added, g.removed, g.hunks)}`,
    paths: g.paths.map((p) => ({ path: p.path, counts: counts(p.added, p.removed, p.hunks) })),
  }));
  return {
    title: `apf-lab patch ${sources}: ${plural(patches, 'patch', 'patches')}, ${plural(f.files, 'file')}, ${counts(f.added, f.removed, f.hunks)}`,
    notice: combinedNotice(r),
    messages: r.messages.map((m) => ({
      head: `${r.messages.length > 1 ? `${m.number}. ` : ''}${m.subject ?? '(no subject)'}${m.kind === 'patch' ? '' : ` (${m.kind})`}`,
      by: m.from === null && m.date === null ? null : [m.from, m.date, m.messageId === null ? null : `<${m.messageId}>`].filter((x) => x !== null).join(', '),
    })),
    groups,
    groupWidth: Math.max(...groups.map((g) => g.name.length)) + 2,
    pathWidth: Math.max(0, ...groups.flatMap((g) => g.paths.map((p) => p.path.length))) + 2,
    mechanismsTitle: `Mechanisms (the added lines, read with the ${r.arches.join(' and ')} signatures)`,
    slots: r.mechanisms.map((s) => ({
      slot: s.slot,
      rows: s.found.map((x) => ({ means: x.means, where: `${at(x.at, r.messages.length)} · ${x.signature} · ${x.cite}` })),
    })),
    matchTitle: r.match.best ? `Variant match: ${r.match.best.id} (score ${r.match.best.score.toFixed(2)}), ${r.match.best.title}` : `Variant match: ${r.match.reason}`,
    candidates: r.match.candidates.map((c) => ({ id: c.id, score: c.score.toFixed(2), why: why(c, c === r.match.best) })),
    idWidth: Math.max(0, ...r.match.candidates.map((c) => c.id.length)) + 2,
    matchNote: `score = (its signatures found − signatures found against it) / its signatures${r.match.unranked.length > 0 ? `; no signature names ${r.match.unranked.join(', ')}` : ''}`,
    commentsTitle: r.comments.length === 0 ? 'Review comments: none' : `Review comments (${r.comments.length}), each remark under what it answers`,
    comments: r.comments.map((c) => ({ head: commentHead(c), remarks: c.remarks.map((x) => ({ where: where(x.answers, allHunks.length, r.messages.length), text: firstWords(x.text) })) })),
  };
}

/** At most this many merge sections are named in the notice; the rest are counted. */
const NAMED_MERGE_SECTIONS = 3;

function combinedNotice(r: PatchReport): string | null {
  const c = r.combinedDiffs;
  if (c.length === 0) return null;
  const named = c.slice(0, NAMED_MERGE_SECTIONS).map((x) => `${r.messages.length > 1 ? `${x.message}. ` : ''}${x.path}`);
  const more = c.length > NAMED_MERGE_SECTIONS ? `, and ${c.length - NAMED_MERGE_SECTIONS} more` : '';
  const hunks = c.reduce((n, x) => n + x.hunks, 0);
  return `not read: ${plural(c.length, 'merge section')} (diff --cc, ${plural(hunks, 'hunk')}), in no count below: ${named.join(', ')}${more}`;
}

function why(c: Candidate, best: boolean): string {
  const total = c.found.length + c.missing.length;
  const against = c.against.length === 0 ? 'none against' : `against: ${c.against.join(', ')}`;
  const missing = best && c.missing.length > 0 ? `; not shown: ${c.missing.join(', ')}` : '';
  return `${c.found.length} of ${total} signatures, ${against}${missing}`;
}

function commentHead(c: AttachedComment): string {
  const to = c.replyTo === null ? '' : c.replyTo.comment === null ? `, replying to ${c.replyTo.author}` : `, replying to #${c.replyTo.comment} ${c.replyTo.author}`;
  return `#${c.number} ${c.author}${c.date === null ? '' : `, ${c.date}`}${to}`;
}

function where(t: Target, hunkCount: number, messages: number): string {
  switch (t.kind) {
    case 'hunk':
      return `${hunkName(t.hunk, messages)}${t.line === null ? '' : `:${t.line}`}, hunk ${t.hunk.header}`;
    case 'hunks':
      return t.hunks.length === hunkCount ? `the whole patch (top-posted above a quote of all ${hunkCount} hunks)` : `${t.hunks.length} hunks: ${t.hunks.map((h) => `${hunkName(h, messages)} hunk ${h.hunk}`).join(', ')}`;
    case 'commit-message':
      return messages > 1 ? `the commit message of ${t.message}.` : 'the commit message';
    case 'comment':
      return `#${t.comment} ${t.author}'s comment`;
    case 'none':
      return 'no quote matched (see whom it replies to)';
  }
}

function hunkName(h: HunkRef, messages: number): string {
  return messages > 1 ? `${h.message}. ${h.path}` : h.path;
}

function at(a: { message: number; path: string; line: number }, messages: number): string {
  return `${messages > 1 ? `${a.message}. ` : ''}${a.path}:${a.line}`;
}

/** The reviewer's first paragraph on one line, cut to REMARK_WIDTH. */
export function firstWords(text: readonly string[]): string {
  const para: string[] = [];
  for (const l of text) {
    if (l.trim() === '') {
      if (para.length > 0) break;
      continue;
    }
    para.push(l.trim());
  }
  const one = para.join(' ').replace(/\s+/g, ' ');
  return one.length <= REMARK_WIDTH ? one : `${one.slice(0, REMARK_WIDTH - 1).trimEnd()}…`;
}

function counts(added: number, removed: number, hunks: number): string {
  return `+${count(added)} −${count(removed)} in ${plural(hunks, 'hunk')}`;
}

function baseName(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
