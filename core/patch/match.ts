import type { Hit, PatchSignature, SignatureSet } from './signature.js';

/**
 * Which registered variant a patch implements, from the signatures its added lines show. A
 * variant's characteristic signatures are those that name it as evidence; its score is
 *
 *   (characteristic signatures found − signatures found that speak against it) / characteristic signatures
 *
 * so a variant is not favoured for having few signatures that all fit, nor for having many. The
 * best is named only when the evidence is enough (MIN_SCORE, MIN_FOUND) and it leads outright;
 * otherwise the answer is "no variant matches", with the reason.
 */
export const MIN_SCORE = 0.3;
export const MIN_FOUND = 3;

export interface VariantRef {
  readonly id: string;
  readonly arch: string;
  readonly title: string;
}

export interface Candidate extends VariantRef {
  /** Rounded to 2 places. */
  readonly score: number;
  readonly found: readonly string[];
  readonly missing: readonly string[];
  readonly against: readonly string[];
}

export interface Match {
  readonly best: Candidate | null;
  /** Why there is no best, or null. */
  readonly reason: string | null;
  /** Every variant with characteristic signatures in the architectures read, best first. */
  readonly candidates: readonly Candidate[];
  /** Registered variants of those architectures that no signature names (the no-APF baselines). */
  readonly unranked: readonly string[];
}

export function matchVariants(hits: readonly Hit[], scope: readonly SignatureSet[], variants: readonly VariantRef[]): Match {
  const foundIds = new Set(hits.map((h) => h.signature.id));
  const signatures: PatchSignature[] = scope.flatMap((s) => s.signatures);
  const inScope = variants.filter((v) => scope.some((s) => s.arch === v.arch));
  const candidates: Candidate[] = [];
  const unranked: string[] = [];
  inScope.forEach((v) => {
    const own = signatures.filter((s) => s.evidenceFor.includes(v.id));
    if (own.length === 0) return void unranked.push(v.id);
    const found = own.filter((s) => foundIds.has(s.id)).map((s) => s.id);
    const against = signatures.filter((s) => s.against.includes(v.id) && foundIds.has(s.id)).map((s) => s.id);
    const score = Math.round(((found.length - against.length) / own.length) * 100) / 100;
    candidates.push({ id: v.id, arch: v.arch, title: v.title, score, found, missing: own.filter((s) => !foundIds.has(s.id)).map((s) => s.id), against });
  });
  // Stable sort: equal scores keep the registry's order.
  const order = candidates.map((c, i) => ({ c, i })).sort((a, b) => b.c.score - a.c.score || b.c.found.length - a.c.found.length || a.i - b.i).map((x) => x.c);
  return { ...verdict(order), candidates: order, unranked };
}

function verdict(order: readonly Candidate[]): { best: Candidate | null; reason: string | null } {
  const [top, next] = order;
  if (!top || top.found.length === 0) return { best: null, reason: 'no variant matches: the added lines show none of the registered variants\' signatures' };
  if (top.score < MIN_SCORE || top.found.length < MIN_FOUND) {
    return {
      best: null,
      reason: `no variant matches: the evidence is too thin (the closest, ${top.id}, shows ${top.found.length} of ${top.found.length + top.missing.length} signatures, score ${top.score.toFixed(2)}; a match needs at least ${MIN_FOUND} and ${MIN_SCORE.toFixed(2)})`,
    };
  }
  if (next && next.score === top.score) return { best: null, reason: `no single variant matches: ${top.id} and ${next.id} fit equally (score ${top.score.toFixed(2)})` };
  return { best: top, reason: null };
}
