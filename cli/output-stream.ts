import type { OutEntry } from './io.js';

/**
 * The command's output on its way to stdout, in chunks: written in order, ended quietly when the
 * reader leaves, and, from the CLI's worker thread, sent to the main thread with backpressure
 * (cli/process.ts runs the two threads). A million-line trace is ~100 MB of text, never joined.
 */

/** flow[OUT_WRITTEN]: the chunks the main thread has written (or dropped); the worker waits on it. */
export const OUT_WRITTEN = 0;
/** flow[OUT_STOP]: 1 once stdout failed or its reader went away: the worker makes no more output. */
export const OUT_STOP = 1;
/**
 * The output goes out in chunks of this many characters and up to one piece more (a million-line
 * trace is ~100 MB): small strings, as trace's blocks are (cli/views/trace.ts BLOCK_EVENTS).
 */
export const CHUNK_CHARS = 1 << 15;
/** At most this many chunks sent and not yet written: the worker waits rather than queue the output. */
export const CHUNKS_IN_FLIGHT = 4;

/**
 * The command's output on stdout, written chunk after chunk as it comes. A reader that went away
 * (EPIPE, as in `apf-lab list | head -c1`) is not an error, as for coreutils: the rest is dropped
 * quietly and the exit code is the command's. Any other failure (ENOSPC on /dev/full, EIO) stops
 * the output too and is kept as one line, for settled().
 */
export class Stdout {
  private failure: string | null = null;
  private ended = false;
  private writing = 0;
  private idle: (() => void)[] = [];
  private listening = false;

  /** `stream` for a test; process.stdout is only looked up (and made) at the first write. */
  constructor(private readonly given?: NodeJS.WritableStream) {}

  private get stream(): NodeJS.WritableStream {
    return this.given ?? process.stdout;
  }

  /** True once a write failed or met a closed pipe: later chunks are dropped. */
  get stopped(): boolean {
    return this.ended;
  }

  /** Writes `chunk` after those before it, or drops it once stopped; `done` is called either way. */
  write(chunk: string | Uint8Array, done: () => void = () => {}): void {
    if (this.ended || chunk.length === 0) return void queueMicrotask(done);
    if (!this.listening) this.stream.on('error', ignore); // reported through the callback below
    this.listening = true;
    this.writing++;
    this.stream.write(chunk, (err) => {
      if (err && !this.ended) {
        this.ended = true;
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EPIPE') this.failure = `cannot write the output: ${code ?? ''}${code ? ' ' : ''}(${err.message.split('\n')[0]})`;
      }
      this.writing--;
      done();
      if (this.writing === 0) for (const wake of this.idle.splice(0)) wake();
    });
  }

  /** Once every write made so far is done: the failure to report, or null. */
  async settled(): Promise<string | null> {
    if (this.writing > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    return this.failure;
  }
}

function ignore(): void {}

/**
 * The output in chunks of about CHUNK_CHARS characters, made as they are taken: texts and pieces
 * (Io.outPieces) in order, small pieces gathered, none joined beyond a chunk.
 */
export function* outputChunks(entries: Iterable<OutEntry>): Generator<string> {
  let batch: string[] = [];
  let size = 0;
  for (const entry of entries) {
    for (const piece of typeof entry === 'string' ? [entry] : entry) {
      batch.push(piece);
      size += piece.length;
      if (size < CHUNK_CHARS) continue;
      yield batch.join('');
      batch = [];
      size = 0;
    }
  }
  if (size > 0) yield batch.join('');
}

/**
 * The worker's side of the output: each chunk encoded and handed over (not copied) to the main
 * thread, which writes it to stdout; with CHUNKS_IN_FLIGHT sent and not yet written, wait for it,
 * so that a slow reader holds the making of the output back instead of its queueing up whole.
 * Once stdout failed or its reader left (OUT_STOP), the rest is not made. A postMessage has no
 * backpressure of its own: this is it.
 */
export function sendOutput(
  entries: Iterable<OutEntry>,
  post: (chunk: Uint8Array) => void,
  flow: Int32Array,
  wait: (written: number) => void = (written) => void Atomics.wait(flow, OUT_WRITTEN, written),
): void {
  const encoder = new TextEncoder();
  let sent = 0;
  for (const text of outputChunks(entries)) {
    if (Atomics.load(flow, OUT_STOP) !== 0) return;
    post(encoder.encode(text));
    sent++;
    for (;;) {
      const written = Atomics.load(flow, OUT_WRITTEN);
      if (sent - written < CHUNKS_IN_FLIGHT || Atomics.load(flow, OUT_STOP) !== 0) break;
      wait(written);
    }
  }
}
