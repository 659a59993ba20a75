import { parseCapture } from './capture.js';
import { readCaptureText } from './read.js';
import { summarizeCapture, type IngestReport, type TokenLayout } from './summary.js';

/**
 * A host's capture of Linux's async-PF tracepoints, read back (DESIGN.md "Outputs": trace
 * ingestion): its faults rebuilt, their durations, a swap latency fitted for a scenario, the token
 * layout, and KVM's invariants checked. `text` is the capture's content; `source` names it in errors.
 */
export function ingestCaptureText(source: string, text: string, layouts: readonly TokenLayout[]): IngestReport {
  return summarizeCapture(parseCapture(source, text), layouts);
}

/** The same, from a file. */
export function ingestCaptureFile(path: string, layouts: readonly TokenLayout[]): IngestReport {
  return ingestCaptureText(path, readCaptureText(path), layouts);
}
