import type { PostcopyBackingSpec } from '../scenario/schema.js';

/**
 * The migration link of a post-copy live migration, as QEMU runs it (facts/anchors.md §A4): the
 * guest already runs on the destination, and the pages dirtied after the precopy phase sent them
 * are still on the source.
 *
 * - A fault on such a page makes the destination ask for it (migration/postcopy-ram.c
 *   postcopy_request_page() → migrate_send_rp_req_pages(), a message on the return path). The
 *   source puts it on its urgent queue (migration/ram.c ram_save_queue_pages()).
 * - One sender serves the link (QEMU's migration thread, ram.c ram_find_and_save_block()): before
 *   each page it takes the urgent queue first (get_queued_page()), otherwise the next dirty page
 *   in address order (find_dirty_block(): postcopy's background sending of the rest). A page on
 *   the wire is never interrupted, so a request waits for it, and for the requests ahead of it.
 * - After an urgent page, the background scan goes on from just after it, "since the guest is
 *   likely to want other pages near to the page it just requested" (get_queued_page()).
 * - A request for a page the background scan already sent is dropped at the source: the page is
 *   no longer dirty (get_queued_page() skips it); the destination waits for the copy on its way.
 * - A page arrives half a round trip after it left the wire, and is placed for good (no host limit:
 *   facts/arm64.md §7, v4 postcopy).
 *
 * This is the 2021 QEMU of Gavin Shan's v4 numbers: one channel. QEMU 8.0's postcopy-preempt
 * sends urgent pages on a channel of their own (facts/anchors.md §A4), which this model does not.
 * Pages are 4 KiB and cost their size on the wire (no header, no zero-page shortcut).
 */
export const POSTCOPY_PAGE_BYTES = 4096;

/** On the destination: migrated before the switch, arrived since, or never on the source. */
const HERE = 0;
/** Dirty on the source; nobody has asked for it. */
const DIRTY = 1;
/** Dirty on the source, and a fault asked for it: the request is on its way or in the urgent queue. */
const REQUESTED = 2;
/** Sent: on the wire or on its way to the destination. */
const SENT = 3;

/** What the link asks its owner to schedule: a request reaching the source, the wire freeing up, a page landing. */
export type LinkEvent = 'request-arrived' | 'sent' | 'arrived';

/** The link's times in integer ns, from the scenario's figures. */
export interface LinkTiming {
  /** Destination to source: the request's half of the round trip. */
  readonly requestNs: number;
  /** Source to destination: the page's half (the rest of the round trip). */
  readonly returnNs: number;
  /** One page on the wire at the link's bandwidth. */
  readonly pageNs: number;
}

export function linkTiming(spec: PostcopyBackingSpec): LinkTiming {
  const rttNs = Math.round(spec.rttUs * 1000);
  const requestNs = Math.floor(rttNs / 2);
  // MB/s is 10^6 bytes a second, i.e. 10^-3 bytes a nanosecond.
  const pageNs = Math.max(1, Math.round(POSTCOPY_PAGE_BYTES / (spec.bandwidthMBps * 1e-3)));
  return { requestNs, returnNs: rttNs - requestNs, pageNs };
}

export class PostcopyLink {
  private readonly state: Uint8Array;
  private readonly urgent: number[] = [];
  private urgentHead = 0;
  /** The next gfn the background scan looks at. */
  private cursor = 0;
  /** Pages still on the source (dirty or requested). */
  private left = 0;
  private onWire = false;
  /** Pages sent and not landed yet. */
  private inFlight = 0;
  readonly timing: LinkTiming;
  /** Pages sent because a fault asked for them (the urgent queue), and pages the background scan sent. */
  pagesRequested = 0;
  pagesPushed = 0;
  /** When the last page still on the source landed on the destination; -1 until then. */
  completedAt = -1;

  constructor(
    readonly guestPages: number,
    private readonly spec: PostcopyBackingSpec,
    /** Schedule `what` for `gfn` at `at`; the owner calls back the matching method then. */
    private readonly post: (at: number, what: LinkEvent, gfn: number) => void,
  ) {
    this.state = new Uint8Array(guestPages);
    this.timing = linkTiming(spec);
  }

  /**
   * A region written before the switch: `dirtyShare` of its pages are still on the source, spread
   * evenly (page i when ⌊(i+1)·share⌋ > ⌊i·share⌋), the rest migrated already.
   */
  addRegion(first: number, count: number): void {
    const share = this.spec.dirtyShare;
    for (let i = 0; i < count && first + i < this.guestPages; i++) {
      if (Math.floor((i + 1) * share) > Math.floor(i * share)) {
        this.state[first + i] = DIRTY;
        this.left++;
      }
    }
  }

  /** Is the page still to come from the source (on it, or on its way)? */
  isMissing(gfn: number): boolean {
    return this.state[gfn] !== HERE;
  }

  get pagesOnSource(): number {
    return this.left;
  }

  /** The migration switches to postcopy at `now`: the background scan starts (if the scenario has it). */
  start(now: number): void {
    if (this.left === 0) this.completedAt = now;
    this.sendNext(now);
  }

  /**
   * A fault on the destination at `at` needs `gfn` (postcopy_request_page()). Returns false when
   * no request goes out: the page is already asked for, or already on its way.
   */
  request(gfn: number, at: number): boolean {
    if (this.state[gfn] !== DIRTY) return false;
    this.state[gfn] = REQUESTED;
    this.post(at + this.timing.requestNs, 'request-arrived', gfn);
    return true;
  }

  /** The request reached the source (ram_save_queue_pages()): queue it; an idle sender takes it now. */
  onRequestArrived(gfn: number, now: number): void {
    if (this.state[gfn] !== REQUESTED) return; // the background scan sent it meanwhile
    this.urgent.push(gfn);
    this.sendNext(now);
  }

  /** The page on the wire is out: it lands half a round trip later, and the sender takes the next. */
  onSent(gfn: number, now: number): void {
    this.onWire = false;
    this.post(now + this.timing.returnNs, 'arrived', gfn);
    this.sendNext(now);
  }

  /** The page landed on the destination (placed with UFFDIO_COPY): here for good. */
  arrived(gfn: number, now: number): void {
    this.state[gfn] = HERE;
    this.inFlight--;
    if (this.left === 0 && this.inFlight === 0 && this.completedAt < 0) this.completedAt = now;
  }

  private sendNext(now: number): void {
    if (this.onWire) return;
    const gfn = this.next();
    if (gfn < 0) return;
    this.onWire = true;
    this.inFlight++;
    this.left--;
    this.state[gfn] = SENT;
    this.post(now + this.timing.pageNs, 'sent', gfn);
  }

  /** get_queued_page(), else find_dirty_block(): the next page to send, or -1. */
  private next(): number {
    while (this.urgentHead < this.urgent.length) {
      const gfn = this.urgent[this.urgentHead++];
      if (this.urgentHead === this.urgent.length) {
        this.urgent.length = 0;
        this.urgentHead = 0;
      }
      if (this.state[gfn] !== REQUESTED) continue; // sent by the background scan before it came up
      this.pagesRequested++;
      this.cursor = gfn + 1;
      return gfn;
    }
    if (!this.spec.push || this.left === 0) return -1;
    // A dirty page exists, so one turn round the address space finds it.
    for (let n = 0; n < this.guestPages; n++) {
      if (this.cursor >= this.guestPages) this.cursor = 0;
      const gfn = this.cursor++;
      const s = this.state[gfn];
      if (s === DIRTY || s === REQUESTED) {
        this.pagesPushed++;
        return gfn;
      }
    }
    return -1;
  }
}
