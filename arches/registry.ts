import type { Variant } from '../core/backend.js';
import { BadInputError } from '../core/errors.js';
import { arm64SdeiVariant } from './arm64/variant.js';
import { syncVariant } from './sync/variant.js';
import { x86Variant } from './x86/variant.js';

/** The built-in variants, in the order `list` shows them. */
export const VARIANTS: readonly Variant[] = [syncVariant, x86Variant, arm64SdeiVariant];

export function variantIds(): string[] {
  return VARIANTS.map((v) => v.id);
}

/** Looks a variant up by id; an unknown id is bad input and the message lists the known ones. */
export function findVariant(id: string): Variant {
  const v = VARIANTS.find((x) => x.id === id);
  if (!v) throw new BadInputError(`unknown variant "${id}" (known: ${variantIds().join(', ')})`);
  return v;
}
