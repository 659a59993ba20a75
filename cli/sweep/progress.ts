import { ProgressLine } from '../progress-line.js';

/**
 * The sweep's progress bar, drawn as the run progress is (cli/progress-line.ts: a terminal only).
 * Hand-written rather than a library: it is one line of text, and the wall clock it reads for the
 * ETA never reaches a result.
 */
const WIDTH = 24;
/** A bar shorter than this says little: the Ctrl-C hint and the percentage go before it shrinks further. */
const MIN_WIDTH = 10;
/** An 80-column terminal, where stderr does not say its width. */
const DEFAULT_COLUMNS = 80;
/** At most five redraws a second: a fast sweep finishes runs faster than a terminal needs them. */
const REDRAW_MS = 200;

type Stream = { isTTY?: boolean; columns?: number; write(text: string): unknown };

export class SweepProgress {
  /** When the first run finished: the rate is measured from there, past the workers' start-up. */
  private firstAt = 0;
  private last = 0;
  private readonly line: ProgressLine;

  constructor(
    private readonly total: number,
    private readonly stream: Stream,
  ) {
    this.line = new ProgressLine(stream);
  }

  update(done: number): void {
    if (!this.line.active) return;
    const now = Date.now();
    if (done === 1) this.firstAt = now;
    if (done < this.total && now - this.last < REDRAW_MS) return;
    this.last = now;
    const etaMs = done >= 2 && done < this.total ? ((this.total - done) * (now - this.firstAt)) / (done - 1) : null;
    // The width is read at each redraw: the terminal may have been resized.
    this.line.show(sweepProgressText(done, this.total, etaMs, this.stream.columns ?? DEFAULT_COLUMNS));
  }

  clear(): void {
    this.line.clear();
  }
}

/**
 * "apf-lab: sweep [#######-------------] 30/80 runs (37 %), ETA 13 s; Ctrl-C stops", to fit in
 * `columns` less one (a line that fills the last column wraps on some terminals, and the next
 * redraw then starts a line below). What matters least goes first: the bar's length down to
 * MIN_WIDTH, then the Ctrl-C hint, the percentage (the counts say it), the bar, the "apf-lab: ";
 * the runs done and the ETA stay, cut only where nothing else is left to drop.
 */
export function sweepProgressText(done: number, total: number, etaMs: number | null, columns = DEFAULT_COLUMNS): string {
  const room = Math.max(1, columns - 1);
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const bar = (width: number) => {
    const filled = Math.round(share * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] `;
  };
  const eta = etaMs === null ? '' : `, ETA ${duration(etaMs)}`;
  const text = (name: boolean, withBar: number | null, percent: boolean, hint: boolean) =>
    `${name ? 'apf-lab: ' : ''}sweep ${withBar === null ? '' : bar(withBar)}${done}/${total} runs${percent ? ` (${Math.floor(share * 100)} %)` : ''}${eta}${hint ? '; Ctrl-C stops' : ''}`;
  for (const [percent, hint] of [[true, true], [true, false], [false, false]]) {
    // The bar takes what the rest leaves, up to WIDTH.
    const width = Math.min(WIDTH, room - text(true, 0, percent, hint).length);
    if (width >= MIN_WIDTH) return text(true, width, percent, hint);
  }
  for (const name of [true, false]) {
    const line = text(name, null, false, false);
    if (line.length <= room) return line;
  }
  return text(false, null, false, false).slice(0, room);
}

function duration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
