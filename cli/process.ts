import type { MessagePort } from 'node:worker_threads';
import { Worker, workerData } from 'node:worker_threads';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, INTERRUPTED_LINE, oneLine, type Io, type OutEntry } from './io.js';
import { ProgressLine } from './progress-line.js';

/**
 * The process around runCli(). A simulation runs synchronously, so a SIGINT handler on the same
 * thread would only run once the simulation is over; the CLI therefore runs in a worker thread,
 * and this thread turns Ctrl-C into a shared flag the simulation loop reads (SimulationOptions
 * `signal`). This thread also owns the terminal: progress on stderr (only where stderr is a TTY,
 * never when piped) and stdout errors (EPIPE, ENOSPC) reported as one line, not a stack trace.
 * Once the command has finished, the worker sends its output in chunks, made as they are sent
 * and held back while stdout is behind (sendOutput()), which this thread writes in order.
 */

type FromWorker =
  | { kind: 'progress'; doneNs: number; totalNs: number }
  | { kind: 'status'; text: string }
  | { kind: 'err'; text: string }
  /** A piece of the command's output, UTF-8, in order; sent once the command has finished. */
  | { kind: 'out'; chunk: Uint8Array }
  | { kind: 'done'; code: number };

interface CliWorkerData {
  apfLabCli: true;
  argv: string[];
  flag: Int32Array;
  /** The output's flow control (OUT_WRITTEN, OUT_STOP), shared with the worker. */
  flow: Int32Array;
  tty: boolean;
}

/** flow[OUT_WRITTEN]: the 'out' chunks this thread has written (or dropped); the worker waits on it. */
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

const SIGINT_REPEAT_MS = 1000;

/** Start the CLI in a worker and relay its output, progress and Ctrl-C. */
export function runInWorker(entry: URL): void {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const flow = new Int32Array(new SharedArrayBuffer(8));
  const tty = process.stderr.isTTY === true;
  const data: CliWorkerData = { apfLabCli: true, argv: process.argv.slice(2), flag, flow, tty };
  const worker = new Worker(entry, { workerData: data });
  const progress = new ProgressLine(process.stderr);
  const stdout = new Stdout();
  let finished = false;
  let firstSigint = 0;
  const onSigint = () => {
    // The first Ctrl-C asks the run to stop cleanly. One signal often arrives twice (to the process
    // and to its group, as timeout(1) sends it): only a second press a second later gives up waiting.
    if (Atomics.exchange(flag, 0, 1) === 0) return void (firstSigint = Date.now());
    if (Date.now() - firstSigint < SIGINT_REPEAT_MS) return;
    progress.clear();
    process.stderr.write(INTERRUPTED_LINE, () => {
      // process.exit() waits for the worker to stop, which one blocked in a system call never does:
      // `apf-lab ingest FIFO` with no writer waits in open(2), and said "interrupted" and went on
      // waiting (hostile round hE). With the handler gone, Ctrl-C's default ends the process at once
      // (the shell says 130, 128 + SIGINT), as it would any program.
      process.off('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
    });
  };
  process.on('SIGINT', onSigint);
  process.stderr.on('error', () => {}); // nowhere left to report it
  worker.on('message', (m: FromWorker) => {
    if (m.kind === 'progress') return progress.show(progressText(m.doneNs, m.totalNs));
    if (m.kind === 'status') return progress.show(m.text);
    progress.clear();
    if (m.kind === 'err') return void process.stderr.write(m.text);
    // The command has finished and its output is going out: from here Ctrl-C's default ends the
    // process, as it would `cat`'s; "nothing was written" would no longer be true.
    process.off('SIGINT', onSigint);
    if (m.kind === 'out') {
      return stdout.write(m.chunk, () => {
        if (stdout.stopped) Atomics.store(flow, OUT_STOP, 1);
        Atomics.add(flow, OUT_WRITTEN, 1);
        Atomics.notify(flow, OUT_WRITTEN);
      });
    }
    finished = true;
    void finish(m.code, stdout);
  });
  worker.on('error', (e) => {
    progress.clear();
    process.stderr.write(`apf-lab: internal error: ${oneLine(e.message)}\n`);
    process.exitCode = EXIT_INTERNAL;
  });
  worker.on('exit', () => {
    if (!finished && process.exitCode === undefined) process.exitCode = EXIT_INTERNAL;
  });
}

/**
 * Commands that run no simulation (list, help) run on this thread: a worker would only add its
 * start-up time, and Ctrl-C's default (the process ends, nothing written) is already right for them.
 */
export async function runHere(runCli: (argv: readonly string[], io: Io) => Promise<number>): Promise<void> {
  process.stderr.on('error', () => {});
  const out: OutEntry[] = [];
  const code = await runCli(process.argv.slice(2), { out: (t) => void out.push(t), outPieces: (p) => void out.push(p), err: (t) => void process.stderr.write(t) });
  const stdout = new Stdout();
  // Each chunk once the one before is written: a pipe's slow reader holds the output back.
  for (const chunk of outputChunks(out)) {
    await new Promise<void>((resolve) => stdout.write(chunk, resolve));
    if (stdout.stopped) break;
  }
  await finish(code, stdout);
}

/** Sets the exit code once the output is written: the command's, or 1 if stdout failed. */
async function finish(code: number, stdout: Stdout): Promise<void> {
  const failure = await stdout.settled();
  process.exitCode = failure ? EXIT_BAD_INPUT : code;
  if (failure) process.stderr.write(`apf-lab: ${oneLine(failure)}\n`);
}

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

/** "apf-lab: simulated 1.250 s of at most 4.000 s (31 %); Ctrl-C stops" */
export function progressText(doneNs: number, totalNs: number): string {
  const pct = totalNs > 0 ? Math.min(100, Math.floor((doneNs / totalNs) * 100)) : 0;
  return `apf-lab: simulated ${(doneNs / 1e9).toFixed(3)} s of at most ${(totalNs / 1e9).toFixed(3)} s (${pct} %); Ctrl-C stops`;
}

/** Wall-clock pacing of progress messages: only for runs longer than a second, five a second. */
const PROGRESS_AFTER_MS = 1000;
const PROGRESS_EVERY_MS = 200;

/** The worker side: run the CLI with the shared Ctrl-C flag and send everything to the main thread. */
export async function workerMain(runCli: (argv: readonly string[], io: Io) => Promise<number>, port: MessagePort): Promise<void> {
  const { argv, flag, flow, tty } = workerData as CliWorkerData;
  const signal = {
    get aborted() {
      return Atomics.load(flag, 0) === 1;
    },
  };
  const start = Date.now();
  let last = 0;
  const due = () => {
    const now = Date.now();
    if (now - start < PROGRESS_AFTER_MS || now - last < PROGRESS_EVERY_MS) return false;
    last = now;
    return true;
  };
  const progress = (doneNs: number, totalNs: number) => {
    if (due()) port.postMessage({ kind: 'progress', doneNs, totalNs } satisfies FromWorker);
  };
  const status = (text: string) => {
    if (due()) port.postMessage({ kind: 'status', text } satisfies FromWorker);
  };
  const out: OutEntry[] = [];
  const io: Io = {
    out: (t) => void out.push(t),
    outPieces: (p) => void out.push(p),
    err: (t) => port.postMessage({ kind: 'err', text: t } satisfies FromWorker),
    progress: tty ? progress : undefined,
    status: tty ? status : undefined,
    signal,
  };
  const code = await runCli(argv, io);
  sendOutput(out, (chunk) => port.postMessage({ kind: 'out', chunk } satisfies FromWorker, [chunk.buffer as ArrayBuffer]), flow);
  port.postMessage({ kind: 'done', code } satisfies FromWorker);
}
