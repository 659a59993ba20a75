import { BadInputError } from '../errors.js';
import { readCappedFile } from '../read-capped.js';

/**
 * A capture's text. A busy host writes ftrace lines at about 100 bytes each; the cap (2.5 M lines)
 * keeps the whole text within what one JavaScript string may hold. A pipe is read as a file
 * (`trace-cmd report | apf-lab ingest /dev/stdin`).
 */
export const MAX_CAPTURE_BYTES = 256 * 1024 * 1024;

export function readCaptureText(path: string): string {
  const buffer = readCappedFile(path, MAX_CAPTURE_BYTES, 'a trace file', '; keep only the async-PF events (`grep async`) first');
  if (buffer.subarray(0, 64 * 1024).includes(0)) {
    throw new BadInputError(`${path}: a binary file (it contains NUL bytes); give the text of the trace (\`trace-cmd report\` turns a trace.dat into text)`);
  }
  return buffer.toString('utf8');
}
