import type { Variant } from '../../core/backend.js';
import { CHECK_DEFAULTS, checkVariant, type CheckResult } from '../../core/check/walk.js';

/**
 * The report's protocol check: `apf-lab check` at its default bounds for each variant of the report
 * (a fraction of a second each), laid out as the command prints it, so that a review thread sees
 * whether a design leaves something behind in some order and the shortest order that shows it.
 * The view is the command's own (cli/views/check.ts buildCheckView()).
 */
export function protocolChecks(variants: readonly Variant[]): CheckResult[] {
  return variants.map((v) => checkVariant(v, CHECK_DEFAULTS));
}
