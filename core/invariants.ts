import { IntMap } from './engine/int-map.js';
import { WAKE_ALL } from './guest/sleep-table.js';

/**
 * The seven invariants of DESIGN.md, checked while a run goes, against shadow state the monitor
 * keeps from what it is told happened — never against core's own counters, so a backend that
 * corrupts core state is still caught. A violation is recorded, never thrown.
 */
export interface Violation {
  readonly invariant: number;
  readonly name: string;
  readonly timeNs: number;
  readonly vcpu: number;
  readonly message: string;
}

export const INVARIANT_NAMES: Readonly<Record<number, string>> = {
  1: 'every not-present gets exactly one page-ready',
  2: 'a wake that comes first is never lost',
  3: 'at most one unacknowledged page-ready',
  4: 'no delivery where the variant forbids it',
  5: 'queued <= per-vCPU cap; sync at the cap',
  6: 'a repeated fault halts, never a second token',
  7: 'no task sleeps forever, no vCPU halts forever',
};

/** Only the first few violations of each invariant are kept in full; the rest are counted. */
export const KEEP_PER_INVARIANT = 20;

/**
 * A run's violations as counted (`counts`: every one), and per invariant how many were counted past
 * the ones kept in full (`violations`): what a view says instead of the length of the kept list.
 */
export function violationTotals(inv: { readonly counts: Readonly<Record<string, number>>; readonly violations: readonly Violation[] }): {
  total: number;
  unlisted: { invariant: number; name: string; count: number }[];
} {
  let total = 0;
  const unlisted: { invariant: number; name: string; count: number }[] = [];
  for (const [k, n] of Object.entries(inv.counts)) {
    total += n;
    const kept = inv.violations.filter((v) => v.invariant === Number(k)).length;
    if (n > kept) unlisted.push({ invariant: Number(k), name: INVARIANT_NAMES[Number(k)], count: n - kept });
  }
  return { total, unlisted };
}

/**
 * One token's life on one vCPU: from the host allocating it to the guest consuming its
 * page-ready. A token is reused after its id wraps (arm64 v4: every 65,536 faults), so the
 * monitor tracks lives, never a set of every token seen.
 */
interface Life {
  /** The guest took the not-present for it. */
  announced: boolean;
  /** The host sent its page-ready; the guest may not have taken it yet. */
  hostReadied: boolean;
  /** The guest took its page-ready. */
  guestReadied: boolean;
  /** A wake-all woke its sleeper first; the page-ready that may still follow is not a second one. */
  covered: boolean;
  /** Its work was dropped (a disable, a migration): no page-ready of its own will come, only a wake-all. */
  dropped?: boolean;
}

interface VcpuShadow {
  queued: number;
  outstanding: IntMap<number>; // gfn -> token
  lives: IntMap<Life>;
  unacked: number;
  /** Wake-alls the host sent that the guest has not taken yet: each will wake every sleeper of the vCPU. */
  wakeAllsSent: number;
}

export class InvariantMonitor {
  readonly violations: Violation[] = [];
  readonly counts: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  private readonly shadows: VcpuShadow[];

  constructor(
    vcpus: number,
    private readonly caps: { asyncPfPerVcpu: number; ackRequired: boolean; forbiddenNotPresent: readonly string[] },
  ) {
    this.shadows = Array.from({ length: vcpus }, () => ({
      queued: 0,
      outstanding: new IntMap(),
      lives: new IntMap(),
      unacked: 0,
      wakeAllsSent: 0,
    }));
  }

  violate(invariant: number, timeNs: number, vcpu: number, message: string): void {
    this.counts[invariant]++;
    if (this.counts[invariant] <= KEEP_PER_INVARIANT) {
      this.violations.push({ invariant, name: INVARIANT_NAMES[invariant], timeNs, vcpu, message });
    }
  }

  /**
   * A host-missing fault was decided, before any work is queued for it: 'queued' (a work
   * starts), 'sync', or the undelivered wait ('halt' / 'retry') of a repeated fault.
   */
  onFaultDecided(t: number, vcpu: number, gfn: number, outcome: string, reason: string): void {
    const s = this.shadows[vcpu];
    if (s.queued >= this.caps.asyncPfPerVcpu && outcome === 'queued') {
      this.violate(5, t, vcpu, `fault on gfn ${hex(gfn)} queued a work with ${s.queued} already queued: the cap is ${this.caps.asyncPfPerVcpu}`);
    }
    if (reason === 'repeated-fault' && !s.outstanding.has(gfn)) {
      this.violate(6, t, vcpu, `fault on gfn ${hex(gfn)} was called repeated but no work is outstanding for it`);
    }
  }

  onQueued(t: number, vcpu: number, gfn: number, token: number, wakeupAll: boolean): void {
    const s = this.shadows[vcpu];
    s.queued++;
    if (s.queued > this.caps.asyncPfPerVcpu) {
      this.violate(5, t, vcpu, `queued ${s.queued} works: the cap is ${this.caps.asyncPfPerVcpu}`);
    }
    if (wakeupAll) return;
    const prev = s.outstanding.get(gfn);
    if (prev !== undefined) {
      this.violate(6, t, vcpu, `second token ${hex(token)} for gfn ${hex(gfn)} while token ${hex(prev)} is outstanding`);
    }
    s.outstanding.set(gfn, token);
    const old = s.lives.get(token);
    // A life whose work was dropped (a disable, a migration's queue clear) is owed only a wake-all,
    // never its own page-ready: a host whose counter starts again (the destination of a migration)
    // may hand its token out again.
    if (old?.announced && !old.guestReadied && !old.dropped) {
      this.violate(1, t, vcpu, `token ${hex(token)} handed out again while its earlier not-present never got page-ready`);
    }
    s.lives.set(token, { announced: false, hostReadied: false, guestReadied: false, covered: false });
  }

  /** The host dequeued a work; `delivered` says whether its page-ready went to the guest. */
  onDequeued(vcpu: number, gfn: number, wakeupAll: boolean, token: number, delivered: boolean): void {
    const s = this.shadows[vcpu];
    s.queued--;
    if (wakeupAll) {
      if (delivered) s.wakeAllsSent++;
      return;
    }
    s.outstanding.delete(gfn);
    const life = s.lives.get(token);
    if (!life) return;
    if (delivered) life.hostReadied = true;
    else if (!life.announced) s.lives.delete(token); // nothing more will happen to it
  }

  onQueueCleared(vcpu: number): void {
    const s = this.shadows[vcpu];
    s.queued = 0;
    s.outstanding.clear();
    s.lives.forEach((life) => {
      if (!life.hostReadied) life.dropped = true;
    });
  }

  /** The guest took a not-present announcement in this state. */
  onGuestNotPresent(t: number, vcpu: number, token: number, conditions: readonly string[]): void {
    const forbidden = (c: string) => this.caps.forbiddenNotPresent.includes(c);
    // Listed only when there is something to say: this runs at every not-present.
    if (conditions.some(forbidden)) {
      this.violate(4, t, vcpu, `not-present for token ${hex(token)} delivered while ${conditions.filter(forbidden).join(', ')}`);
    }
    const s = this.shadows[vcpu];
    const life = s.lives.get(token);
    if (!life) return void s.lives.set(token, { announced: true, hostReadied: false, guestReadied: false, covered: false });
    life.announced = true;
    if (life.guestReadied) s.lives.delete(token); // the wake came first: this life is over
  }

  onGuestReady(t: number, vcpu: number, token: number): void {
    const s = this.shadows[vcpu];
    if (token === WAKE_ALL) {
      if (s.wakeAllsSent > 0) s.wakeAllsSent--;
      const ended: number[] = [];
      s.lives.forEach((life, key) => {
        if (!life.announced || life.guestReadied) return;
        life.guestReadied = true;
        life.covered = true;
        // A dropped work's life ends here: no page-ready of its own follows (and a wake-all after
        // each migration would otherwise walk every life the earlier ones ended).
        if (life.dropped) ended.push(key);
      });
      for (const key of ended) s.lives.delete(key);
      return;
    }
    const life = s.lives.get(token);
    if (life?.covered) return void s.lives.delete(token);
    if (!life || life.guestReadied) {
      this.violate(1, t, vcpu, `page-ready for token ${hex(token)} delivered twice (no live work carries it)`);
      return;
    }
    life.guestReadied = true;
    if (life.announced) s.lives.delete(token); // consumed: its life ends here
  }

  onSleep(t: number, vcpu: number, task: string, token: number): void {
    const life = this.shadows[vcpu].lives.get(token);
    if (!life || life.guestReadied) {
      this.violate(2, t, vcpu, `${task} sleeps on token ${hex(token)} whose page-ready already came: the wake-up is lost`);
    }
  }

  onReadyDelivered(t: number, vcpu: number): void {
    if (!this.caps.ackRequired) return;
    const s = this.shadows[vcpu];
    s.unacked++;
    if (s.unacked > 1) this.violate(3, t, vcpu, `${s.unacked} page-ready events outstanding without an ACK`);
  }

  /**
   * A live migration: what the source's kernel counted as owed an ACK (pageready_pending) does not
   * come across, so the destination waits for none; the guest's ACK of it there finds nothing.
   */
  onVcpuMigrated(vcpu: number): void {
    this.shadows[vcpu].unacked = 0;
  }

  onReadyAcked(vcpu: number): void {
    const s = this.shadows[vcpu];
    if (s.unacked > 0) s.unacked--;
  }

  /**
   * Close the run. `inFlight(vcpu, token)` says whether the work behind a token is still on
   * its way (then it is reported as in flight, not as a violation). `settled`: the run ended
   * because nothing was left to happen (a drain that ran dry), so nothing is on its way: a
   * page-ready the host sent and the guest never took is lost, and its sleeper sleeps forever
   * (the guest's hung-task warning, kernel/hung_task.c).
   */
  finish(
    t: number,
    sleeping: readonly { vcpu: number; task: string; token: number }[],
    halted: readonly { vcpu: number; hasWork: boolean }[],
    inFlight: (vcpu: number, token: number) => boolean,
    settled: boolean,
  ): number {
    // Work on its way, or a page-ready sent and not yet taken (the token's own, or a wake-all), is
    // in flight, not lost, while the run may go on.
    const flying = (vcpu: number, token: number) => {
      const s = this.shadows[vcpu];
      return !settled && (inFlight(vcpu, token) || s.lives.get(token)?.hostReadied === true || s.wakeAllsSent > 0);
    };
    let n = 0;
    this.shadows.forEach((s, vcpu) => {
      const pending: number[] = [];
      s.lives.forEach((l, token) => {
        if (l.announced && !l.guestReadied) pending.push(token);
      });
      for (const token of pending.sort((a, b) => a - b)) {
        if (flying(vcpu, token)) n++;
        else if (s.lives.get(token)!.hostReadied) this.violate(1, t, vcpu, `token ${hex(token)} was announced not-present and its page-ready was sent but never taken`);
        else this.violate(1, t, vcpu, `token ${hex(token)} was announced not-present and never got page-ready`);
      }
    });
    for (const sl of sleeping) {
      if (!flying(sl.vcpu, sl.token)) this.violate(7, t, sl.vcpu, `${sl.task} sleeps on token ${hex(sl.token)} and nothing will wake it`);
    }
    for (const h of halted) {
      if (!h.hasWork) this.violate(7, t, h.vcpu, `vCPU ${h.vcpu} is halted with no outstanding work to clear the halt`);
    }
    return n;
  }
}

/** A gfn or a token as the invariant messages (and `apf-lab check`, which prints them) write it. */
export function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
