import { baselineFor } from '../../arches/registry.js';
import type { Finding, Mechanisms, Variant } from '../../core/backend.js';

/**
 * A variant's mechanism sheet, as `show --json` prints it: what it is, what it picks per dimension,
 * the baseline a comparison measures it against, its default costs and knobs, and its findings.
 */
export interface VariantSheet {
  readonly id: string;
  readonly arch: string;
  /** A no-APF baseline itself. */
  readonly baseline: boolean;
  /** The no-APF baseline a comparison measures it against (its own architecture's); null for a baseline. */
  readonly baselineId: string | null;
  readonly title: string;
  readonly origin: string;
  readonly mechanisms: Mechanisms;
  /** The catalogue id of each mechanism, as a variant file names it; null for a variant not built from a spec. */
  readonly mechanismIds: { readonly [D in keyof Mechanisms]: string } | null;
  /** The cost table a scenario overrides under `costs.<arch>` (cycles, and clockMHz). */
  readonly costs: Readonly<Record<string, number>>;
  /** The knobs a scenario sets under `arch.<arch>`, with their defaults. */
  readonly knobs: Readonly<Record<string, number>>;
  readonly findings: readonly Finding[];
  /**
   * The guest PC model of its architecture (core/guest/code-layout.ts): the regions laid out from
   * the exception vector base, and the exception code a synchronous exception from user mode runs
   * on its way in and out, each phase with its offset, time at the default clock and whether it can
   * take an exception.
   */
  readonly codeLayout: {
    readonly source: string;
    readonly regions: readonly { readonly region: string; readonly pc: number; readonly bytes: number; readonly what: string }[];
    readonly syncFromUser: readonly { readonly name: string; readonly region: string; readonly pc: number; readonly ns: number; readonly nonReentrant: boolean }[];
  };
}

/** A variant as `list --json` gives it: the sheet without the cost table, knobs and code layout. */
export type VariantSummary = Omit<VariantSheet, 'costs' | 'knobs' | 'codeLayout'>;

/**
 * The sheet of a variant. Findings live on the backend (DESIGN.md "The backend contract"), so one
 * is built with the variant's own default costs and knobs, as a run with no overrides builds it;
 * `guestMemoryBytes` is the machine it would run on.
 */
export function variantSheet(v: Variant, guestMemoryBytes: number): VariantSheet {
  const backend = v.createBackend({ costOverrides: v.defaultCosts, knobs: v.knobs, guestMemoryBytes });
  const baseline = v.baseline === true;
  return {
    id: v.id,
    arch: v.arch,
    baseline,
    baselineId: baseline ? null : (baselineFor(v.arch)?.id ?? null),
    title: v.title,
    origin: v.origin,
    mechanisms: v.mechanisms,
    mechanismIds: v.mechanismIds ?? null,
    costs: { ...v.defaultCosts },
    knobs: { ...v.knobs },
    findings: backend.findings,
    codeLayout: {
      source: backend.caps.codeLayout.source,
      regions: backend.caps.codeLayout.regions.map((r) => ({ ...r })),
      syncFromUser: [...backend.caps.codeLayout.entry('sync', 'user'), ...backend.caps.codeLayout.exit('user')].map((p) => ({
        name: p.name,
        region: p.region,
        pc: p.pc,
        ns: p.ns,
        nonReentrant: p.nonReentrant,
      })),
    },
  };
}

export function variantSummary(sheet: VariantSheet): VariantSummary {
  const { costs: _costs, knobs: _knobs, codeLayout: _layout, ...summary } = sheet;
  return summary;
}

/** The block templates/text/partials/variant.text.hbs renders: title, origin, one line per dimension. */
export interface VariantBlock {
  readonly id: string;
  /** Columns the id takes, the same for every block of one listing, so that the titles line up. */
  readonly idWidth: number;
  readonly title: string;
  readonly origin: string;
  readonly mechanisms: readonly { readonly dimension: string; readonly mechanism: string }[];
}

/** The id column of a listing: 12 wide, wider where an id (arm64-impdef, a variant file's) needs it. */
export function idColumnWidth(ids: readonly string[]): number {
  return Math.max(12, ...ids.map((id) => id.length + 2));
}

export function variantBlock(v: Pick<Variant, 'id' | 'title' | 'origin' | 'mechanisms'>, idWidth = idColumnWidth([v.id])): VariantBlock {
  return {
    id: v.id,
    idWidth,
    title: v.title,
    origin: v.origin,
    mechanisms: Object.entries(v.mechanisms).map(([dimension, mechanism]) => ({ dimension, mechanism: String(mechanism) })),
  };
}
