import { formatPatch, structuredPatch, type StructuredPatchHunk } from 'diff';
import type { Variant } from '../../core/backend.js';
import type { FaultTrace, FaultTraceEvent, TracedFault } from '../../core/fault-trace.js';
import { tracepointText } from '../../core/tracepoints.js';
import { renderText } from '../render.js';
import { buildShowView } from './show.js';
import { idColumnWidth, variantSheet } from './variant-sheet.js';

/** What `apf-lab diff` compares: the `show` sheets, or the tracepoints of the same faults. */
export type DiffWhat = 'mechanisms' | 'trace';

/** A unified diff of two texts: the patch as `diff -u` prints it (empty when they are equal) and its hunks. */
export interface TextDiff {
  readonly patch: string;
  readonly hunks: readonly StructuredPatchHunk[];
}

/** `a/<id>` against `b/<id>`, three lines of context; no hunks, no patch. */
export function unifiedDiff(aId: string, bId: string, aText: string, bText: string): TextDiff {
  const p = structuredPatch(`a/${aId}`, `b/${bId}`, aText, bText, undefined, undefined, { context: 3 });
  if (p.hunks.length === 0) return { patch: '', hunks: [] };
  // FILE_HEADERS_ONLY: `--- a/x86` and `+++ b/arm64-sdei` without the Index and ==== lines.
  return { patch: formatPatch(p, { includeIndex: false, includeUnderline: false, includeFileHeaders: true }), hunks: p.hunks };
}

/**
 * A variant's sheet as `apf-lab show` prints it, with its own id written `<id>` on the line that
 * leads the variant block: the id is in the file labels, and a variant restated under another
 * name (a variant file) then differs only where its mechanisms, costs or findings do.
 */
export function mechanismSheetText(v: Variant, guestMemoryBytes: number): string {
  const view = buildShowView(variantSheet(v, guestMemoryBytes));
  // The id column is as wide as `<id>` in both sheets, not as each variant's own id.
  return renderText('show', { ...view, variant: { ...view.variant, id: '<id>', idWidth: idColumnWidth(['<id>']) } });
}

/**
 * The faults of a trace as text, one block per fault: a header naming the fault (gfn, vCPU, its
 * token), then one line per tracepoint in time order, as KVM prints it (TP_printk, facts/anchors.md
 * §B) but with the fault's own token written `<token>` and no timestamps, so that two designs'
 * lines match wherever they take the same step.
 */
export function faultTraceText(trace: FaultTrace): string {
  const blocks = trace.faults.map(({ gfn, fault }, i) => {
    const head = `fault ${i + 1}: gfn ${hex(gfn)}`;
    if (fault === null) return `${head}: no async page fault traced on this gfn\n`;
    const token = fault.token === null ? 'no token' : `token ${hex(fault.token)}`;
    return [`${head} on vCPU ${fault.vcpu}, ${token}`, ...fault.events.map((e) => `  ${eventLine(e, fault)}`)].join('\n') + '\n';
  });
  return blocks.join('\n');
}

function eventLine(e: FaultTraceEvent, fault: TracedFault): string {
  // Numbers in hex as `0x…` even for zero, so that a zero field lines up with the other design's.
  const value = (n: number, field: string) => (field === 'token' && n === fault.token ? '<token>' : hex(n));
  const text = tracepointText(e.event, e.fields, value);
  return text === '' ? e.event : `${e.event}: ${text}`;
}

const hex = (n: number) => `0x${n.toString(16)}`;
