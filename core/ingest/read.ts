import { readTextFile } from '../text-file.js';

/**
 * A capture's text. A busy host writes ftrace lines at about 100 bytes each; the cap (2.5 M lines)
 * keeps a wrong argument (a disk image) from being read whole. A pipe is read as a file
 * (`trace-cmd report | apf-lab ingest /dev/stdin`); UTF-16 with its byte-order mark (PowerShell's
 * `trace-cmd report > x.txt`) is decoded.
 */
export const MAX_CAPTURE_BYTES = 256 * 1024 * 1024;

export function readCaptureText(path: string): string {
  return readTextFile(path, MAX_CAPTURE_BYTES, 'a trace', {
    binary: '; give the text of the trace (`trace-cmd report` turns a trace.dat into text)',
    tooLarge: '; keep only the async-PF events (`grep async`) first',
  }).text;
}
