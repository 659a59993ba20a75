import { describe, expect, it } from 'vitest';
import { EventQueue, type PoppedEvent } from '../../../core/engine/event-queue.js';
import { linkTiming, PostcopyLink, type LinkEvent } from '../../../core/machine/postcopy.js';
import type { PostcopyBackingSpec } from '../../../core/scenario/schema.js';

/**
 * The post-copy link (core/machine/postcopy.ts; facts/anchors.md §A4): a requested page takes a
 * round trip plus its time on the wire, queued behind the page being sent; the background push
 * sends the dirty pages in address order at the link's bandwidth; a requested page jumps the push,
 * which then goes on after it (QEMU migration/ram.c get_queued_page()).
 */
const KINDS: readonly LinkEvent[] = ['request-arrived', 'sent', 'arrived'];

/** A link over `pages` dirty pages, driven by its own event queue; `landed` records each page's arrival. */
function link(spec: Partial<PostcopyBackingSpec> = {}, pages = 16) {
  const full: PostcopyBackingSpec = { kind: 'postcopy', rttUs: 100, bandwidthMBps: 409.6, push: true, dirtyShare: 1, ...spec };
  const queue = new EventQueue(64);
  const l = new PostcopyLink(pages, full, (at, what, gfn) => queue.push(at, KINDS.indexOf(what), gfn, 0));
  l.addRegion(0, pages);
  const landed: [number, number][] = [];
  const runUntil = (end: number) => {
    const ev: PoppedEvent = { time: 0, kind: 0, a: 0, b: 0 };
    while (queue.size > 0 && queue.peekTime() <= end) {
      queue.pop(ev);
      if (KINDS[ev.kind] === 'request-arrived') l.onRequestArrived(ev.a, ev.time);
      else if (KINDS[ev.kind] === 'sent') l.onSent(ev.a, ev.time);
      else {
        l.arrived(ev.a, ev.time);
        landed.push([ev.a, ev.time]);
      }
    }
  };
  return { l, landed, runUntil };
}

// 409.6 MB/s: a 4 KiB page is exactly 10 µs on the wire; RTT 100 µs, split 50/50.
const PAGE = 10_000;
const RTT = 100_000;

describe('PostcopyLink', () => {
  it('derives the wire time of a 4 KiB page from the bandwidth (v4: 1 GiB in ~1.6 s → 671 MB/s, 6.1 µs a page)', () => {
    expect(linkTiming({ kind: 'postcopy', rttUs: 100, bandwidthMBps: 409.6, push: true, dirtyShare: 1 })).toEqual({ requestNs: 50_000, returnNs: 50_000, pageNs: PAGE });
    expect(linkTiming({ kind: 'postcopy', rttUs: 0, bandwidthMBps: 671, push: true, dirtyShare: 1 }).pageNs).toBe(6104);
  });

  it('a fault on a page still on the source waits one round trip plus the page on the wire', () => {
    const { l, landed, runUntil } = link({ push: false });
    l.start(0);
    expect(l.request(7, 1_000)).toBe(true);
    runUntil(Infinity);
    expect(landed).toEqual([[7, 1_000 + RTT + PAGE]]);
    expect(l.pagesRequested).toBe(1);
    expect(l.pagesPushed).toBe(0);
    // Asked again while on its way, or once here: no second request.
    expect(l.request(7, 500_000)).toBe(false);
  });

  it('the push sends the dirty pages in address order, one page time apart, from the switch on', () => {
    const { l, landed, runUntil } = link({}, 8);
    l.start(0);
    runUntil(Infinity);
    expect(landed).toEqual(Array.from({ length: 8 }, (_, g) => [g, (g + 1) * PAGE + RTT / 2]));
    expect(l.pagesPushed).toBe(8);
    expect(l.completedAt).toBe(8 * PAGE + RTT / 2);
  });

  it('only the dirty share is on the source, spread evenly; the rest needs nothing', () => {
    const { l, landed, runUntil } = link({ dirtyShare: 0.25 }, 16);
    expect(l.pagesOnSource).toBe(4);
    expect([0, 1, 2, 3].map((g) => l.isMissing(g))).toEqual([false, false, false, true]);
    l.start(0);
    runUntil(Infinity);
    expect(landed.map(([g]) => g)).toEqual([3, 7, 11, 15]);
  });

  it('a requested page jumps the push: it goes right after the page on the wire, and the push resumes after it', () => {
    const { l, landed, runUntil } = link({}, 16);
    l.start(0);
    // The request reaches the source at 25 µs + 50 µs = 75 µs, while page 7 is on the wire (70–80 µs).
    l.request(12, 25_000);
    runUntil(Infinity);
    // Past the end, the scan wraps round to the pages it jumped over.
    expect(landed.map(([g]) => g)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11]);
    expect(landed[8]).toEqual([12, 9 * PAGE + RTT / 2]);
    expect(l.pagesRequested).toBe(1);
    expect(l.pagesPushed).toBe(15);
  });

  it('a request for a page the push sends before the request arrives is dropped at the source (sent once)', () => {
    const { l, landed, runUntil } = link({}, 4);
    l.start(0);
    // Page 1 leaves the wire at 20 µs; the request, made at 0, reaches the source at 50 µs.
    l.request(1, 0);
    runUntil(Infinity);
    expect(landed.map(([g]) => g)).toEqual([0, 1, 2, 3]);
    expect(l.pagesRequested).toBe(0);
    expect(l.pagesPushed).toBe(4);
  });
});
