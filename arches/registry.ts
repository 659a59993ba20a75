import type { Variant } from '../core/backend.js';
import { BadInputError } from '../core/errors.js';
import { caseHint } from '../core/case-hint.js';
import { ARM64_DABT_SPEC, ARM64_IMPDEF_SPEC, arm64DabtVariant, arm64ImpdefVariant } from './arm64/dabt/variant.js';
import { ARM64_IRQ_SPEC, arm64IrqVariant } from './arm64/irq/variant.js';
import { ARM64_ARCH } from './arm64/mechanisms.js';
import { ARM64_PVVEC_SPEC, arm64PvvecVariant } from './arm64/pvvec/variant.js';
import { ARM64_S2_SPEC, arm64S2Variant } from './arm64/s2-variant.js';
import { ARM64_SDEI_SPEC, arm64SdeiVariant } from './arm64/variant.js';
import { composeVariant, parseVariantSpec, type ArchDefinition, type VariantSpec } from './spec.js';
import { SYNC_ARM64_SPEC, SYNC_X86_SPEC, syncArm64Variant, syncX86Variant } from './sync/variant.js';
import { X86_HALT_SPEC, x86HaltVariant } from './x86/halt-variant.js';
import { X86_ARCH } from './x86/mechanisms.js';
import { X86_PF_SPEC, x86PfVariant } from './x86/pf2010/variant.js';
import { X86_VE_SPEC, x86VeVariant } from './x86/ve-variant.js';
import { X86_SPEC, x86Variant } from './x86/variant.js';

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
  arm64DabtVariant,
  arm64ImpdefVariant,
  arm64PvvecVariant,
  arm64S2Variant,
];

/** The built-in variants as specs, in the same order: what a variant file restates. */
export const VARIANT_SPECS: readonly VariantSpec[] = [
  SYNC_X86_SPEC,
  SYNC_ARM64_SPEC,
  X86_SPEC,
  X86_HALT_SPEC,
  X86_PF_SPEC,
  X86_VE_SPEC,
  ARM64_SDEI_SPEC,
  ARM64_IRQ_SPEC,
  ARM64_DABT_SPEC,
  ARM64_IMPDEF_SPEC,
  ARM64_PVVEC_SPEC,
  ARM64_S2_SPEC,
];

/** The architectures a spec may name, each with its mechanism catalogue and rules. */
export const ARCHES: readonly ArchDefinition[] = [X86_ARCH, ARM64_ARCH];

/**
 * Builds a variant from a spec (a parsed variant file, or a TS object): its shape is checked, then
 * its mechanisms against its architecture's catalogue and rules, as for a built-in. Bad input
 * names the dimension and the reason; `source` (a file name) leads the message.
 */
export function composeSpec(input: unknown, source?: string): Variant {
  const spec = parseVariantSpec(input, source ?? 'variant');
  const arch = ARCHES.find((a) => a.arch === spec.arch);
  const lead = source === undefined ? '' : `${source}: `;
  if (!arch) throw new BadInputError(`${lead}arch: unknown architecture "${spec.arch}" (known: ${ARCHES.map((a) => a.arch).join(', ')})`);
  try {
    return composeVariant(spec, arch, ARCHES);
  } catch (e) {
    if (e instanceof BadInputError && source !== undefined) throw new BadInputError(`${lead}${e.message}`);
    throw e;
  }
}

/**
 * The variants a command knows: the built-ins and those given to it (from variant files). A given
 * one may not take a built-in's id, nor another's.
 */
export function knownVariants(extra: readonly Variant[] = []): readonly Variant[] {
  if (extra.length === 0) return VARIANTS;
  const out = [...VARIANTS];
  for (const v of extra) {
    if (v.id === SYNC_ALIAS || out.some((x) => x.id === v.id)) {
      const builtin = v.id === SYNC_ALIAS || VARIANTS.some((x) => x.id === v.id);
      throw new BadInputError(`id: "${v.id}" is taken by ${builtin ? 'a built-in variant' : 'another variant file'}; give yours an id of its own`);
    }
    out.push(v);
  }
  return out;
}

/**
 * `sync` names no single variant any more: a no-APF baseline is priced with one architecture's
 * costs (DESIGN.md "The backend contract"). In a comparison it stands for the baseline of each
 * architecture compared.
 */
export const SYNC_ALIAS = 'sync';

export function variantIds(known: readonly Variant[] = VARIANTS): string[] {
  return known.map((v) => v.id);
}

function baselineIds(): string[] {
  return VARIANTS.filter((v) => v.baseline).map((v) => v.id);
}

/**
 * Looks a variant up by id among the built-ins (or `known`, from knownVariants()); an unknown id
 * is bad input and the message lists the known ones.
 */
export function findVariant(id: string, known: readonly Variant[] = VARIANTS): Variant {
  if (id === SYNC_ALIAS) {
    throw new BadInputError(
      `variant "sync" is per architecture now: use ${baselineIds().join(' or ')} (compare adds the baseline of each architecture it compares)`,
    );
  }
  const v = known.find((x) => x.id === id);
  if (v) return v;
  const hint = caseHint([id], variantIds(known), 'variant ids are case-sensitive');
  throw new BadInputError(`unknown variant "${id}"${hint} (known: ${variantIds(known).join(', ')})`);
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
export function variantsToCompare(ids: readonly string[], options: { baselines: boolean; known?: readonly Variant[] }): Variant[] {
  const known = options.known ?? VARIANTS;
  const listed = [...new Set(ids.filter((id) => id !== SYNC_ALIAS).map((id) => findVariant(id, known)))];
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
