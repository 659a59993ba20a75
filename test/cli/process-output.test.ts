import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { flushOut, type Io, type OutEntry } from '../../cli/io.js';
import { CHUNK_CHARS, CHUNKS_IN_FLIGHT, OUT_STOP, OUT_WRITTEN, outputChunks, sendOutput, Stdout } from '../../cli/output-stream.js';

/** Pieces made one by one, counting how many were made: a generator's, as `apf-lab trace` hands its output. */
function counted(n: number, size: number): { pieces: Generator<string>; made: () => number } {
  let made = 0;
  function* pieces() {
    for (let i = 0; i < n; i++) {
      made++;
      yield `${String(i).padStart(8, '0')}${'é'.repeat(size - 9)}\n`;
    }
  }
  return { pieces: pieces(), made: () => made };
}

const decoder = new TextDecoder();

describe('a command output in pieces (Io.outPieces), from the command to stdout', () => {
  it('flushOut() hands texts and pieces on in order; an Io without outPieces gets them joined', () => {
    const entries: OutEntry[] = ['a', 'b', ['c', 'd'], 'e', (function* () { yield 'f'; yield 'g'; })()];
    const calls: string[] = [];
    const io: Io = { out: (t) => void calls.push(`out:${t}`), outPieces: (p) => void calls.push(`pieces:${[...p].join('|')}`), err: () => {} };
    flushOut(io, entries);
    expect(calls).toEqual(['out:ab', 'pieces:c|d', 'out:e', 'pieces:f|g']);
    let plain = '';
    flushOut({ out: (t) => void (plain += t), err: () => {} }, ['a', ['b', 'c'], 'd']);
    expect(plain).toBe('abcd');
    // Nothing printed is one out(''), as runCli()'s one joined buffer was.
    const none: string[] = [];
    flushOut({ out: (t) => void none.push(t), err: () => {} }, []);
    expect(none).toEqual(['']);
  });

  it('outputChunks() gathers the pieces into chunks of about CHUNK_CHARS, in order, taking pieces only as chunks are taken', () => {
    const { pieces, made } = counted(1000, 1000);
    const chunks = outputChunks(['head\n', pieces, 'tail\n']);
    const first = chunks.next().value as string;
    expect(first.length).toBeGreaterThanOrEqual(CHUNK_CHARS);
    expect(first.length).toBeLessThan(CHUNK_CHARS + 1000);
    // Only what the first chunk needed was made.
    expect(made()).toBe(Math.ceil((CHUNK_CHARS - 5) / 1000));
    const text = first + [...chunks].join('');
    expect(made()).toBe(1000);
    const lines = text.split('\n');
    expect(lines[0]).toBe('head');
    expect(lines.slice(1, 1001).map((l) => Number(l.slice(0, 8)))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(lines.slice(1001)).toEqual(['tail', '']);
  });

  it('sendOutput() posts the chunks in order, as UTF-8, and waits whenever CHUNKS_IN_FLIGHT are not yet written', () => {
    const flow = new Int32Array(new SharedArrayBuffer(8));
    const { pieces } = counted(2000, 500);
    const posted: Uint8Array[] = [];
    const waits: number[] = [];
    // The main thread writes nothing until the worker waits; then the oldest chunk is written.
    sendOutput(['head\n', pieces], (chunk) => void posted.push(chunk), flow, (written) => {
      expect(Atomics.load(flow, OUT_WRITTEN)).toBe(written);
      waits.push(posted.length - written);
      Atomics.add(flow, OUT_WRITTEN, 1);
    });
    expect(posted.length).toBeGreaterThan(CHUNKS_IN_FLIGHT);
    expect(waits).toEqual(Array.from({ length: posted.length - CHUNKS_IN_FLIGHT + 1 }, () => CHUNKS_IN_FLIGHT));
    const text = posted.map((c) => decoder.decode(c)).join('');
    expect(text).toBe(['head\n', ...counted(2000, 500).pieces].join(''));
  });

  it('sendOutput() makes no more once stdout stopped (a reader that went away): the rest is never made', () => {
    const flow = new Int32Array(new SharedArrayBuffer(8));
    const { pieces, made } = counted(100_000, 100);
    let posts = 0;
    sendOutput([pieces], () => {
      posts++;
      Atomics.add(flow, OUT_WRITTEN, 1);
      if (posts === 2) Atomics.store(flow, OUT_STOP, 1);
    }, flow);
    expect(posts).toBe(2);
    expect(made()).toBeLessThan(3 * Math.ceil(CHUNK_CHARS / 100) + 1);
  });

  /** A stdout whose writes fail with `code` from the `failAt`-th on, as a pipe whose reader left does. */
  function failingStream(code: string, failAt: number): { stream: Writable; written: string[] } {
    const written: string[] = [];
    let n = 0;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (++n >= failAt) return cb(Object.assign(new Error(`${code}: write failed`), { code }));
        written.push(chunk.toString());
        cb();
      },
    });
    return { stream, written };
  }

  it('Stdout: a closed pipe (EPIPE) ends the output quietly; every chunk is written or dropped, each done() called once', async () => {
    const { stream, written } = failingStream('EPIPE', 3);
    const out = new Stdout(stream);
    const done: number[] = [];
    for (let i = 0; i < 6; i++) out.write(`chunk ${i}\n`, () => done.push(i));
    expect(await out.settled()).toBeNull();
    expect(out.stopped).toBe(true);
    expect(written).toEqual(['chunk 0\n', 'chunk 1\n']);
    expect(done.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // A chunk after the reader left is dropped, not written.
    await new Promise<void>((resolve) => out.write('late\n', resolve));
    expect(written).toHaveLength(2);
  });

  it('Stdout: any other failure (ENOSPC on /dev/full) is one line for the exit message', async () => {
    const { stream } = failingStream('ENOSPC', 1);
    const out = new Stdout(stream);
    out.write('x');
    expect(await out.settled()).toBe('cannot write the output: ENOSPC (ENOSPC: write failed)');
  });

  it('Stdout: the chunks go out in the order given', async () => {
    const { stream, written } = failingStream('EPIPE', Infinity);
    const out = new Stdout(stream);
    for (let i = 0; i < 50; i++) out.write(new TextEncoder().encode(`${i},`));
    expect(await out.settled()).toBeNull();
    expect(written.join('')).toBe(Array.from({ length: 50 }, (_, i) => `${i},`).join(''));
  });
});
