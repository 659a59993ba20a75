import { attachComments, type AttachedComment } from './attach.js';
import { footprint, type Footprint } from './footprint.js';
import { matchVariants, type Match, type VariantRef } from './match.js';
import type { CombinedSection, PatchInput, PatchMessage } from './model.js';
import { detect, setsInScope, SLOTS, type Hit, type PatchSignature, type SignatureSet, type Slot } from './signature.js';

/**
 * `apf-lab patch`'s answer for a series, as `--json` prints it: the input files and messages,
 * the footprint, the mechanisms per slot, the variant match and the comments attached to hunks.
 * The architectures' signatures and the registered variants come in as data.
 */
export interface PatchReport {
  readonly files: PatchInput['files'];
  readonly messages: readonly MessageSummary[];
  readonly footprint: Footprint;
  /** The architectures whose signatures were read. */
  readonly arches: readonly string[];
  readonly mechanisms: readonly SlotFindings[];
  readonly match: Match;
  readonly comments: readonly AttachedComment[];
  /** Merge (`diff --cc`) sections met and not read: in no count above, reported so that nothing is dropped silently. */
  readonly combinedDiffs: readonly (CombinedSection & { readonly message: number; readonly source: string })[];
}

export interface MessageSummary {
  readonly number: number;
  readonly source: string;
  readonly kind: PatchMessage['kind'];
  readonly subject: string | null;
  readonly from: string | null;
  readonly date: string | null;
  readonly messageId: string | null;
  readonly diffstat: PatchMessage['diffstat'];
  readonly files: readonly { path: string; oldPath: string | null; status: string; added: number; removed: number; hunks: readonly { hunk: number; header: string; added: number; removed: number }[] }[];
}

/** A signature found: its rule's words (not its pattern) and the first added line that shows it. */
export type Found = Pick<PatchSignature, 'means' | 'cite' | 'evidenceFor' | 'against'> & Omit<Hit, 'signature'> & { readonly signature: string };

export interface SlotFindings {
  readonly slot: Slot;
  readonly found: readonly Found[];
}

export function analyzePatch(input: PatchInput, sets: readonly SignatureSet[], variants: readonly VariantRef[]): PatchReport {
  const scope = setsInScope(input.messages, sets);
  const hits = detect(input.messages, sets);
  return {
    files: input.files,
    messages: input.messages.map(summary),
    footprint: footprint(input.messages),
    arches: scope.map((s) => s.arch),
    mechanisms: SLOTS.map((slot) => ({
      slot,
      found: hits.filter((h) => h.signature.slot === slot).map(found),
    })),
    match: matchVariants(hits, scope, variants),
    comments: attachComments(input.messages, input.comments),
    combinedDiffs: input.messages.flatMap((m) => m.combined.map((c) => ({ message: m.number, source: m.source, ...c }))),
  };
}

function found({ signature: s, arch, at, lines }: Hit): Found {
  return { signature: s.id, arch, means: s.means, cite: s.cite, evidenceFor: s.evidenceFor, against: s.against, at, lines };
}

function summary(m: PatchMessage): MessageSummary {
  return {
    number: m.number,
    source: m.source,
    kind: m.kind,
    subject: m.subject,
    from: m.from,
    date: m.date,
    messageId: m.messageId,
    diffstat: m.diffstat,
    files: m.files.map((f) => ({
      path: f.path,
      oldPath: f.oldPath,
      status: f.status,
      added: f.added,
      removed: f.removed,
      hunks: f.hunks.map((h) => ({ hunk: h.hunk, header: h.header, added: h.added, removed: h.removed })),
    })),
  };
}
