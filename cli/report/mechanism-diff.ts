import { createTwoFilesPatch } from 'diff';
import type { Variant } from '../../core/backend.js';
import { renderText } from '../render.js';
import { buildShowView } from '../views/show.js';
import { variantSheet } from '../views/variant-sheet.js';

/**
 * The unified diff of two variants' mechanism sheets as `apf-lab show` prints them: what the
 * report embeds for each variant against the first. Kept to this one function so that the
 * `apf-lab diff --what mechanisms` code can replace it.
 */
export function mechanismDiff(a: Variant, b: Variant, guestMemoryBytes: number): string {
  const sheet = (v: Variant) => renderText('show', buildShowView(variantSheet(v, guestMemoryBytes)));
  return createTwoFilesPatch(`${a.id}`, `${b.id}`, sheet(a), sheet(b), '', '', { context: 2 });
}
