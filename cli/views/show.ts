import type { Finding } from '../../core/backend.js';
import { variantBlock, type VariantBlock, type VariantSheet } from './variant-sheet.js';
import { alignColumns, count } from './format.js';

interface Setting {
  readonly name: string;
  readonly value: string;
}

interface FindingLine {
  readonly severity: string;
  readonly id: string;
  readonly text: string;
  readonly cite: string;
}

/** A plain view-model for templates/text/show.text.hbs: every line already a string. */
export interface ShowView {
  readonly variant: VariantBlock;
  readonly arch: string;
  readonly baseline: string;
  /** One line per dimension: the id a variant file names (empty for a variant not built from a spec). */
  readonly mechanismIds: readonly { readonly dimension: string; readonly id: string }[];
  readonly costsTitle: string;
  readonly knobsTitle: string;
  readonly costs: readonly Setting[];
  readonly knobs: readonly Setting[];
  /** Width of the name column of costs and knobs, so that both tables align. */
  readonly nameWidth: number;
  readonly valueWidth: number;
  readonly findingsTitle: string;
  readonly findings: readonly FindingLine[];
  /** Width of the severity column. */
  readonly severityWidth: number;
  readonly layoutTitle: string;
  /** The regions and one exception's phases, each line already aligned. */
  readonly layoutRegions: readonly string[];
  readonly layoutPhases: readonly string[];
}

const SEVERITIES: readonly Finding['severity'][] = ['blocker', 'concern', 'note'];

export function buildShowView(s: VariantSheet): ShowView {
  // Values as a scenario file writes them, so that a line can be copied into one.
  const settings = (table: Readonly<Record<string, number>>) => Object.entries(table).map(([name, value]) => ({ name, value: String(value) }));
  const costs = settings(s.costs);
  const knobs = settings(s.knobs);
  const all = [...costs, ...knobs];
  return {
    variant: variantBlock(s),
    arch: s.arch,
    baseline: s.baseline
      ? `this is the no-APF baseline of ${s.arch}: comparisons measure the ${s.arch} variants against it`
      : s.baselineId === null
        ? `no baseline on ${s.arch}`
        : `compared with ${s.baselineId}, the no-APF baseline of ${s.arch}`,
    mechanismIds: s.mechanismIds === null ? [] : Object.entries(s.mechanismIds).map(([dimension, id]) => ({ dimension, id })),
    costsTitle: `Costs (defaults, cycles at clockMHz; a scenario overrides them under costs.${s.arch})`,
    knobsTitle: `Knobs (defaults; a scenario sets them under arch.${s.arch})`,
    costs,
    knobs,
    nameWidth: Math.max(0, ...all.map((x) => x.name.length)) + 2,
    valueWidth: Math.max(0, ...all.map((x) => x.value.length)),
    findingsTitle: findingsTitle(s.findings),
    findings: s.findings.map((f) => ({ severity: f.severity, id: f.id, text: f.text, cite: f.cite })),
    severityWidth: Math.max(0, ...s.findings.map((f) => f.severity.length)) + 2,
    layoutTitle: `Code layout (the guest PC: offsets from the exception vector base; ${s.codeLayout.source})`,
    ...layoutLines(s),
  };
}

const hex = (n: number) => (n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`);

/** The layout as aligned lines: regions, then the phases of a synchronous exception from user mode. */
function layoutLines(s: VariantSheet): { layoutRegions: string[]; layoutPhases: string[] } {
  const regions = s.codeLayout.regions.map((r) => [r.region, hex(r.pc), r.bytes > 0 ? `${count(r.bytes)} B` : '', r.what]);
  const phases = s.codeLayout.syncFromUser.map((p) => [p.name, p.region, hex(p.pc), `${p.ns} ns`, p.nonReentrant ? 'cannot take an exception' : '']);
  return { layoutRegions: alignColumns(regions), layoutPhases: alignColumns(phases) };
}

/** "Findings: 1 blocker, 4 concerns, 1 note", or that there are none. */
function findingsTitle(findings: readonly Finding[]): string {
  const counts = SEVERITIES.map((sev) => [sev, findings.filter((f) => f.severity === sev).length] as const)
    .filter(([, n]) => n > 0)
    .map(([sev, n]) => `${n} ${sev}${n === 1 ? '' : 's'}`);
  return counts.length > 0 ? `Findings: ${counts.join(', ')}` : 'Findings: none';
}
