import type { MessagePort } from 'node:worker_threads';
import { Worker, workerData } from 'node:worker_threads';
import { EXIT_BAD_INPUT, EXIT_INTERNAL, INTERRUPTED_LINE, oneLine, type Io, type OutEntry } from './io.js';
import { OUT_STOP, OUT_WRITTEN, outputChunks, sendOutput, Stdout } from './output-stream.js';
import { ProgressLine } from './progress-line.js';

/**
 * The process around runCli(). A simulation runs synchronously, so a SIGINT handler on the same
 * thread would only run once the simulation is over; the CLI therefore runs in a worker thread,
 * and this thread turns Ctrl-C into a shared flag the simulation loop reads (SimulationOptions
 * `signal`). This thread also owns the terminal: progress on stderr (only where stderr is a TTY,
 * never when piped) and stdout errors (EPIPE, ENOSPC) reported as one line, not a stack trace.
 * Once the command has finished, the worker sends its output in chunks, made as they are sent
 * and held back while stdout is behind (cli/output-stream.ts sendOutput()), which this thread writes in order.
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
