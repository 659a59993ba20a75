import type { Variant } from '../core/backend.js';
import { BadInputError } from '../core/errors.js';
import { arm64IrqVariant } from './arm64/irq/variant.js';
import { arm64S2Variant } from './arm64/s2-variant.js';
import { arm64SdeiVariant } from './arm64/variant.js';
import { syncArm64Variant, syncX86Variant } from './sync/variant.js';
import { x86HaltVariant } from './x86/halt-variant.js';
import { x86PfVariant } from './x86/pf2010/variant.js';
import { x86VeVariant } from './x86/ve-variant.js';
import { x86Variant } from './x86/variant.js';

/** The built-in variants, in the order `list` shows them: each architecture's no-APF baseline first. */
export const VARIANTS: readonly Variant[] = [
  syncX86Variant,
  syncArm64Variant,
  x86Variant,
  x86HaltVariant,
  x86PfVariant,
  x86VeVariant,
  arm64SdeiVariant,
  arm64IrqVariant,
  arm64S2Variant,
];

/**
 * `sync` names no single variant any more: a no-APF baseline is priced with one architecture's
 * costs (issue 5, item 6). In a comparison it stands for the baseline of each architecture compared.
 */
export const SYNC_ALIAS = 'sync';

export function variantIds(): string[] {
  return VARIANTS.map((v) => v.id);
}

function baselineIds(): string[] {
  return VARIANTS.filter((v) => v.baseline).map((v) => v.id);
}

/** Looks a variant up by id; an unknown id is bad input and the message lists the known ones. */
export function findVariant(id: string): Variant {
  if (id === SYNC_ALIAS) {
    throw new BadInputError(
      `variant "sync" is per architecture now: use ${baselineIds().join(' or ')} (compare adds the baseline of each architecture it compares)`,
    );
  }
  const v = VARIANTS.find((x) => x.id === id);
  if (!v) throw new BadInputError(`unknown variant "${id}" (known: ${variantIds().join(', ')})`);
  return v;
}

/** The no-APF baseline of an architecture, or null if it has none. */
export function baselineFor(arch: string): Variant | null {
  return VARIANTS.find((v) => v.baseline === true && v.arch === arch) ?? null;
}

/**
 * The variants of a comparison, in the order given, each architecture's baseline just before its
 * first variant when `baselines` is on or `sync` is listed (unless that baseline is listed itself).
 * `sync` alone compares every architecture's baseline.
 */
export function variantsToCompare(ids: readonly string[], options: { baselines: boolean }): Variant[] {
  const listed = [...new Set(ids.filter((id) => id !== SYNC_ALIAS).map(findVariant))];
  const withBaselines = options.baselines || ids.includes(SYNC_ALIAS);
  if (listed.length === 0) return VARIANTS.filter((v) => v.baseline);
  const out: Variant[] = [];
  for (const v of listed) {
    const base = withBaselines ? baselineFor(v.arch) : null;
    if (base && !listed.includes(base) && !out.includes(base)) out.push(base);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}
