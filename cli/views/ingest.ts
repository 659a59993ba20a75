import type { DurationStats, IngestReport } from '../../core/ingest/summary.js';
import { alignColumns, count, fixed, humanNs, pct, plural } from './format.js';
import { ftraceStamp } from './trace.js';

/** The terminal view of `apf-lab ingest` (templates/text/ingest.text.hbs): every string made here. */
export interface IngestView {
  readonly title: string;
  readonly events: readonly string[];
  readonly other: string | null;
  readonly unreadable: string | null;
  readonly reordered: string | null;
  readonly unterminated: string | null;
  readonly lost: string | null;
  readonly threads: readonly string[];
  readonly workers: string;
  readonly faults: readonly string[];
  readonly durations: readonly string[];
  readonly fitTitle: string;
  readonly fit: string | null;
  readonly tokens: readonly string[];
  readonly checksTitle: string;
  readonly checks: readonly string[];
  readonly labTitle: string | null;
  readonly lab: readonly string[];
}

/** The lab's run that `--vs` puts next to the capture. */
export interface LabSide {
  readonly variant: string;
  readonly scenario: string;
  readonly seed: number;
  readonly cutAtMaxEvents: boolean;
  readonly report: IngestReport;
}

export function buildIngestView(r: IngestReport, lab: LabSide | null = null): IngestView {
  const f = r.faults;
  const b = f.begunBefore;
  const begun = b.ready + b.completed + b.repeatedFaults;
  const others = r.otherEvents.reduce((a, e) => a + e.count, 0);
  const durationRows: string[][] = [['', 'n', 'min', 'p50', 'p90', 'p99', 'max', 'mean']];
  const addDuration = (label: string, s: DurationStats | null) => {
    if (s !== null) durationRows.push([label, count(s.count), ...[s.minNs, s.p50Ns, s.p90Ns, s.p99Ns, s.maxNs, s.meanNs].map(humanNs)]);
    else durationRows.push([label, '0', '—', '—', '—', '—', '—', '—']);
  };
  addDuration('not-present → completed (the async work)', r.durations.fetch);
  addDuration('completed → ready (on the done list)', r.durations.doneToReady);
  addDuration('not-present → ready (whole)', r.durations.whole);
  return {
    title: `apf-lab ingest ${r.source}: ${count(r.lines)} lines, ${humanNs(r.window.toNs - r.window.fromNs)} of capture (${ftraceStamp(r.window.fromNs, r.window.epochSecs)} to ${ftraceStamp(r.window.toNs, r.window.epochSecs)})`,
    events: alignColumns(Object.entries(r.events).map(([name, n]) => [name, count(n)]), [false, true]),
    other: others === 0 ? null : `other events read past: ${count(others)} (${r.otherEvents.slice(0, 4).map((e) => `${e.event} ${count(e.count)}`).join(', ')}${r.otherEvents.length > 4 ? ', …' : ''})`,
    unreadable:
      r.unreadable.lines === 0
        ? null
        : `${plural(r.unreadable.lines, 'line')} neither an event, a comment nor an ftrace note, read past (the first at line ${r.unreadable.firstLine}): an event damaged there is not counted`,
    reordered: r.reordered === 0 ? null : `${count(r.reordered)} events were out of time order in the file and are read in time order`,
    unterminated: r.unterminated === null ? null : `the last line (${r.unterminated}), an event, has no newline, as in a capture cut short there: its last value may be cut too`,
    lost:
      r.lost.lines + r.lost.bufferStarts === 0
        ? null
        : `ftrace lost events: ${plural(r.lost.lines, 'LOST line')} (${lostEvents(r.lost)}), ${plural(r.lost.bufferStarts, 'CPU buffer')} that wrapped; a fault across a loss may miss its other half`,
    threads: alignColumns(
      [
        ['thread', 'vCPU', 'tries', 'async PFs', 'repeated', 'sync after try', 'ready', 'wake-all', 'max outstanding', 'in flight at end'],
        ...r.threads.map((t) => [`${t.task}-${t.pid}`, t.vcpu === null ? '?' : String(t.vcpu), ...[t.tries, t.notPresent, t.repeatedFaults, t.syncAfterTry, t.ready, t.wakeAll, t.maxOutstanding, t.inFlightAtEnd].map(count)]),
      ],
      [false, true, true, true, true, true, true, true, true, true],
    ),
    workers: `Async work: ${plural(r.workers.length, 'kworker thread')} traced ${plural(r.workers.reduce((a, w) => a + w.completed, 0), 'completion')}`,
    faults: [
      `${plural(f.asyncPageFaults, 'async page fault')}: ${count(f.completed)} completed, ${count(f.ready)} ready, ${count(f.inFlightAtEnd)} in flight when the capture ended`,
      ...(f.coveredByWakeAll === 0
        ? []
        : [`${count(f.coveredByWakeAll)} outstanding at a wake-all and not ready by the end: most likely dropped when the guest turned async PF off (x86.c kvm_pv_enable_async_pf() clears the queue) or its vCPU was reset`]),
      `${plural(f.syncAfterTry, 'try', 'tries')} fell back to a synchronous fault; ${plural(f.repeatedFaults, 'repeated fault')} halted a vCPU; ${count(f.wakeAll)} wake-all`,
      ...(f.undecidedAtEnd === 0 ? [] : [`${plural(f.undecidedAtEnd, 'try', 'tries')} the capture ended after, before their thread traced anything else (not known how they went)`]),
      ...(begun === 0 ? [] : [`begun before the capture: ${count(b.ready)} ready and ${count(b.completed)} completed left out; ${plural(b.repeatedFaults, 'repeated fault')} (counted above) on a fault not in the capture`]),
      ...(f.readyBeforeCompleted === 0
        ? []
        : [`${count(f.readyBeforeCompleted)} ready stamped before their completion: the kworker traces after queuing the work (virt/kvm/async_pf.c async_pf_execute())`]),
    ],
    durations: alignColumns(durationRows, [false, true, true, true, true, true, true, true]),
    fitTitle: r.latencyFit === null ? 'As a scenario swap latency: too few completed async page faults to fit' : `As a scenario swap latency (lognormal fit of not-present → completed, ${count(r.latencyFit.samples)} samples):`,
    fit: r.latencyFit === null ? null : `latency: { dist: lognormal, us: ${r.latencyFit.us}, sigma: ${r.latencyFit.sigma}, minUs: ${r.latencyFit.minUs}, maxUs: ${r.latencyFit.maxUs} }`,
    tokens: r.tokenLayouts.map((t) => `${t.design}: ${count(t.matching)} of ${count(t.matching + t.notMatching)} match (${t.source})`),
    checksTitle: r.findings.length === 0 ? "Checks against KVM's flow (DESIGN.md \"Invariants\" 1, 5, 6): none failed" : "Checks against KVM's flow (DESIGN.md \"Invariants\"): failed",
    checks: r.findings.map((x) => `invariant ${x.invariant}: ${x.what}: ${count(x.count)} time${x.count === 1 ? '' : 's'}, first at line ${x.firstLine}`),
    labTitle: lab === null ? null : `The capture and the lab (${lab.variant} on scenario ${lab.scenario}, seed ${lab.seed}${lab.cutAtMaxEvents ? ', its first 1,000,000 events' : ''}), measured alike`,
    lab: lab === null ? [] : sideBySide(r, lab.report),
  };
}

/** What the LOST lines say was lost: a count, an untold number (`[LOST EVENTS]` gives none), or both. */
function lostEvents(lost: IngestReport['lost']): string {
  if (lost.uncounted === 0) return plural(lost.events, 'event');
  if (lost.uncounted === lost.lines) return 'an untold number of events: no line gives a count';
  return `${plural(lost.events, 'event')}, and an untold number at ${plural(lost.uncounted, 'line')} that gives none`;
}

/** The figures a calibration looks at, for the capture and the lab's run. */
function sideBySide(host: IngestReport, lab: IngestReport): string[] {
  const rate = (x: IngestReport) => {
    // No async page fault is a rate of 0 over any window and vCPUs (a synchronous baseline traces none at all).
    if (x.faults.asyncPageFaults === 0) return fixed(0, 1);
    const vcpus = x.threads.filter((t) => t.notPresent + t.tries > 0).length;
    const s = (x.window.toNs - x.window.fromNs) / 1e9;
    return vcpus > 0 && s > 0 ? fixed(x.faults.asyncPageFaults / s / vcpus, 1) : '—';
  };
  const tries = (x: IngestReport) => x.threads.reduce((a, t) => a + t.tries, 0);
  const perApf = (x: IngestReport) => (x.faults.asyncPageFaults > 0 ? fixed(x.faults.repeatedFaults / x.faults.asyncPageFaults, 3) : '—');
  const at = (d: DurationStats | null, k: 'p50Ns' | 'p99Ns') => (d === null ? '—' : humanNs(d[k]));
  const rows: [string, (x: IngestReport) => string][] = [
    ['async page faults per second per vCPU', rate],
    ['tries that went synchronous', (x) => pct(x.faults.syncAfterTry, tries(x))],
    ['repeated faults per async page fault', perApf],
    ['not-present → completed, p50', (x) => at(x.durations.fetch, 'p50Ns')],
    ['not-present → completed, p99', (x) => at(x.durations.fetch, 'p99Ns')],
    ['completed → ready, p50', (x) => at(x.durations.doneToReady, 'p50Ns')],
    ['completed → ready, p99', (x) => at(x.durations.doneToReady, 'p99Ns')],
    ['not-present → ready, p99', (x) => at(x.durations.whole, 'p99Ns')],
  ];
  return alignColumns([['', 'capture', 'lab'], ...rows.map(([label, f]) => [label, f(host), f(lab)])], [false, true, true]);
}
