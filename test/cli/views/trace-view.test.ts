import { describe, expect, it } from 'vitest';
import { renderText } from '../../../cli/render.js';
import { BLOCK_EVENTS, buildTraceView, emitter, lineBlocks, traceHeadView, traceLine } from '../../../cli/views/trace.js';
import { chromeTraceJson } from '../../../cli/views/trace-timeline.js';
import type { CapturedEvent, TraceCapture } from '../../../core/trace-capture.js';
import type { RunResult } from '../../../index.js';

/** A capture of `n` made-up events, a page fault's five tracepoints over and over on 4 vCPUs. */
function capture(n: number): TraceCapture {
  const names = ['kvm_try_async_get_page', 'kvm_async_pf_not_present', 'kvm_async_pf_completed', 'kvm_async_pf_ready', 'kvm_async_pf_ack'];
  const events: CapturedEvent[] = Array.from({ length: n }, (_, i) => {
    const gfn = 0x10000 + (i >> 2);
    return { timeNs: i * 997, vcpu: i % 4, event: names[i % 5], fields: { gfn, gva: gfn * 4096, token: (i << 12) | i % 4, address: 0x7f0000000000 + gfn * 4096 } };
  });
  return { variant: 'x86', events, fromNs: 0, toNs: events.length ? events[events.length - 1].timeNs : 0, cutAtMaxEvents: false, result: null as unknown as RunResult };
}

const body = (text: string) => text.split('\n').filter((l) => !l.startsWith('#'));

describe('the trace text', () => {
  it('has one line per event, in order, across the blocks it is built in, and ends with a newline', () => {
    for (const n of [0, 1, 4095, 4096, 4097, 10_000]) {
      const c = capture(n);
      const text = renderText('trace', buildTraceView(c, 's', 1, 4, false));
      expect(text.endsWith('\n')).toBe(true);
      expect(body(text)).toEqual([...c.events.map(traceLine), '']);
    }
  });

  it('joins its lines in blocks of BLOCK_EVENTS, not one string per line kept as a rope of its pieces (a million lines took about 730 MiB)', () => {
    for (const n of [0, BLOCK_EVENTS, BLOCK_EVENTS + 1, 10_000]) {
      const view = buildTraceView(capture(n), 's', 1, 4, false);
      expect(view.blocks).toHaveLength(Math.ceil(n / BLOCK_EVENTS));
      expect(Object.keys(view)).not.toContain('lines');
    }
  });

  it('is the head (the template with no lines) and then each block and its newline: how `apf-lab trace` writes it, a block at a time', () => {
    for (const n of [0, 1, BLOCK_EVENTS - 1, BLOCK_EVENTS, BLOCK_EVENTS + 1, 10_000]) {
      const c = capture(n);
      const whole = renderText('trace', buildTraceView(c, 's', 1, 4, true));
      const pieces = [renderText('trace', traceHeadView(c, 's', 1, 4, true)), ...[...lineBlocks(c.events)].map((b) => `${b}\n`)];
      expect(pieces.join('')).toBe(whole);
      expect(pieces).toHaveLength(1 + Math.ceil(n / BLOCK_EVENTS));
    }
  });
});

describe('the Perfetto timeline', () => {
  it('is the text JSON.stringify gives for its own parse, across the blocks it is built in: events, fault slices, thread names', () => {
    for (const n of [0, 1, 4095, 4096, 4097, 10_000]) {
      const c = capture(n);
      const pieces = [...chromeTraceJson(c, 'a "quoted" scenario', 7)];
      // Made a block of events at a time: the head, the blocks, the tail.
      expect(pieces.length).toBeGreaterThanOrEqual(2 + Math.ceil(n / BLOCK_EVENTS));
      expect(Math.max(...pieces.map((p) => (p.match(/"ph":"i"/g) ?? []).length))).toBeLessThanOrEqual(BLOCK_EVENTS);
      const written = pieces.join('');
      // One JSON text and its newline, whatever the pieces.
      expect(written.endsWith('}\n')).toBe(true);
      const text = written.slice(0, -1);
      const parsed = JSON.parse(text) as { traceEvents: { ph: string }[]; metadata: { scenario: string } };
      expect(JSON.stringify(parsed)).toBe(text);
      expect(parsed.metadata.scenario).toBe('a "quoted" scenario');
      // One instant per tracepoint, plus the names of the process and its threads, plus slice ends.
      expect(parsed.traceEvents.filter((e) => e.ph === 'i')).toHaveLength(n);
      expect(parsed.traceEvents.filter((e) => e.ph === 'M')).toHaveLength(1 + new Set(c.events.map((e) => emitter(e).pid)).size);
      expect(parsed.traceEvents.filter((e) => e.ph === 'b').length).toBeGreaterThanOrEqual(parsed.traceEvents.filter((e) => e.ph === 'e').length);
    }
  });
});
