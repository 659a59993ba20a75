/**
 * Strings joined in blocks as they come, `size` to a block. A string built from pieces stays a rope
 * of them until it is flattened; kept one string per line, a 200 s run's 777,000 trace lines took
 * 700 MB and most of `trace`'s time in the garbage collector. Joined in blocks, each is flattened as
 * soon as its block is made.
 */
export class Blocks {
  private readonly done: string[] = [];
  private open: string[] = [];

  constructor(
    private readonly separator: string,
    private readonly size = 4096,
  ) {}

  push(s: string): void {
    this.open.push(s);
    if (this.open.length === this.size) this.close();
  }

  /** The blocks, each the strings of its block joined by the separator. */
  blocks(): string[] {
    if (this.open.length > 0) this.close();
    return this.done;
  }

  private close(): void {
    this.done.push(this.open.join(this.separator));
    this.open = [];
  }
}
