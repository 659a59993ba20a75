/**
 * One self-overwriting line of progress on a terminal's stderr, and nothing at all elsewhere (a
 * pipe, a log, CI): the run progress of cli/process.ts and the sweep's bar both draw through it.
 */
export class ProgressLine {
  private shown = false;

  constructor(private readonly stream: { isTTY?: boolean; write(text: string): unknown }) {}

  get active(): boolean {
    return this.stream.isTTY === true;
  }

  show(text: string): void {
    if (!this.active) return;
    this.stream.write(`\r\x1b[K${text}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
