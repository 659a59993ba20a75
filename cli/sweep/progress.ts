import { ProgressLine } from '../progress-line.js';

/**
 * The sweep's progress bar, drawn as the run progress is (cli/progress-line.ts: a terminal only).
 * Hand-written rather than a library: it is one line of text, and the wall clock it reads for the
 * ETA never reaches a result.
 */
const WIDTH = 24;
/** At most five redraws a second: a fast sweep finishes runs faster than a terminal needs them. */
const REDRAW_MS = 200;

export class SweepProgress {
  /** When the first run finished: the rate is measured from there, past the workers' start-up. */
  private firstAt = 0;
  private last = 0;
  private readonly line: ProgressLine;

  constructor(
    private readonly total: number,
    stream: { isTTY?: boolean; write(text: string): unknown },
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
    this.line.show(sweepProgressText(done, this.total, etaMs));
  }

  clear(): void {
    this.line.clear();
  }
}

/** "apf-lab: sweep [#########---------------] 30/80 runs (37 %), ETA 12 s; Ctrl-C stops" */
export function sweepProgressText(done: number, total: number, etaMs: number | null): string {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(share * WIDTH);
  const eta = etaMs === null ? '' : `, ETA ${duration(etaMs)}`;
  return `apf-lab: sweep [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total} runs (${Math.floor(share * 100)} %)${eta}; Ctrl-C stops`;
}

function duration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
