import { noEventCounts, parseCapture, scanCapture, type ApfTraceEvent } from './capture.js';
import { rebuildLives } from './lives.js';
import { readCaptureText } from './read.js';
import { summarizeCapture, type IngestFacts, type IngestReport } from './summary.js';

/**
 * A host's capture of Linux's async-PF tracepoints, read back (DESIGN.md "Outputs": trace
 * ingestion): its faults rebuilt, their durations, a swap latency fitted for a scenario, the token
 * layout, and KVM's invariants checked. `text` is the capture's content; `source` names it in errors.
 *
 * The faults are rebuilt as the lines are read, in one pass and without holding the events. A
 * capture whose lines are not in time order is read again, its events sorted first.
 */
export function ingestCaptureText(source: string, text: string, facts: IngestFacts): IngestReport {
  let scan = null as ReturnType<typeof scanCapture> | null;
  let built = rebuildLives((visit) => void (scan = scanCapture(source, text, visit)), facts.asyncPfPerVcpu);
  if (scan!.reordered > 0) {
    const sorted = parseCapture(source, text);
    built = rebuildLives((visit) => sorted.events.forEach(visit), facts.asyncPfPerVcpu);
  }
  return summarizeCapture(scan!, built, facts.tokenLayouts);
}

/** The same, from a file. */
export function ingestCaptureFile(path: string, facts: IngestFacts): IngestReport {
  return ingestCaptureText(path, readCaptureText(path), facts);
}

/**
 * The same report from events already in hand, in time order: the lab's own run (`apf-lab ingest
 * --vs`), so that a capture and the lab are measured by one piece of code.
 */
export function ingestEvents(source: string, events: readonly ApfTraceEvent[], facts: IngestFacts): IngestReport {
  const counts = noEventCounts();
  for (const e of events) counts[e.event]++;
  const scan = { source, lines: events.length, counts, epochSecs: 0, fromNs: events[0]?.timeNs ?? 0, toNs: events[events.length - 1]?.timeNs ?? 0, otherEvents: [], unreadable: { lines: 0, firstLine: null }, reordered: 0, unterminated: null, lost: { lines: 0, events: 0, uncounted: 0, bufferStarts: 0 } };
  return summarizeCapture(scan, rebuildLives((visit) => events.forEach(visit), facts.asyncPfPerVcpu), facts.tokenLayouts);
}
