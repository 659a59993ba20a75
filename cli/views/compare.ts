import type { ComparedRun, Comparison } from '../../core/compare.js';
import { latencyRangeNs } from '../../core/machine/swap.js';
import type { LatencySpec, Scenario } from '../../core/scenario/schema.js';
import { KEEP_PER_INVARIANT, violationTotals } from '../../core/invariants.js';
import { count, fixed, humanNs, mib, ms, pct, plural } from './format.js';
import { oneLine } from '../io.js';

/** A plain view-model for templates/text/compare.text.hbs: every cell already a string. */
export interface CompareView {
  readonly header: readonly string[];
  readonly columns: readonly string[];
  readonly labelWidth: number;
  readonly cellWidth: number;
  readonly sections: readonly { title: string; rows: readonly { label: string; cells: readonly string[] }[] }[];
  readonly legend: readonly string[];
  readonly variants: readonly string[];
  readonly findings: readonly string[];
  readonly violations: readonly string[];
  readonly stopped: readonly string[];
}

type Row = { label: string; cells: string[] };

export function buildCompareView(c: Comparison): CompareView {
  const vs = c.variants;
  const measured = vs.some((r) => r.baselineId !== null);
  const cells = (f: (r: ComparedRun) => string) => vs.map(f);
  const row = (label: string, f: (r: ComparedRun) => string): Row => ({ label: `  ${label}`, cells: cells(f) });
  const union = (f: (r: ComparedRun) => Readonly<Record<string, number>>) =>
    [...new Set(vs.flatMap((r) => Object.keys(f(r))))].sort();
  const dash = (n: number | undefined) => (n ? count(n) : '—');
  /** A figure the run has none of (null: no sample, no fault) prints as —, not as 0. */
  const none = (x: number | null | undefined, f: (x: number) => string) => (x == null ? '—' : f(x));
  const legend: string[] = [];
  const hazardRows = union((r) => r.metrics.hazards).map((h, i) => {
    legend.push(`[h${i + 1}] ${h}`);
    return row(`hazard [h${i + 1}]`, (r) => dash(r.metrics.hazards[h]));
  });
  // Without the drain a fault whose access the window closed on has no latency: the longest waits
  // are the ones left out (a sync baseline's p50 read below its device's median).
  if (!c.scenario.drain.enabled) legend.push('drain off: fault latency counts only the accesses done inside the window; faults still waiting when it closed are left out, so the percentiles read low');

  const finishedGroups = [...new Set(vs.flatMap((r) => Object.keys(r.metrics.tasks).filter((g) => r.metrics.tasks[g].finished > 0)))].sort();
  const sameWindow = vs.every((r) => r.run.measuredNs === c.scenario.durationMs * 1e6);
  const seconds = (ns: number | undefined) => (ns === undefined ? '—' : fixed(ns / 1e9, 3));
  const sections = [
    {
      // A ratio is only meaningful on one machine: each column names the baseline it is measured against.
      title: 'Architecture',
      rows: [row('arch', (r) => r.arch), ...(measured ? [row('baseline', (r) => r.baselineId ?? '—')] : [])],
    },
    {
      title: 'Work (M units: 1 unit = 1 µs of task compute)',
      rows: [
        row('total', (r) => fixed(r.metrics.work / 1e6, 3)),
        ...(measured ? [row(sameWindow ? 'vs baseline (same arch)' : 'rate vs baseline (same arch)', (r) => (r.workVsBaseline === null ? '—' : `${fixed(r.workVsBaseline, 2)}×`))] : []),
        ...union((r) => r.metrics.workByTask).map((t) => row(t, (r) => fixed((r.metrics.workByTask[t] ?? 0) / 1e6, 3))),
      ],
    },
    // Fixed work (tasks with `passes`): when each group's tasks finished.
    ...(finishedGroups.length > 0
      ? [
          {
            title: 'Fixed work (tasks that ran all their passes; completion time from the start, s)',
            rows: finishedGroups.flatMap((g) => [
              row(`${g}: finished`, (r) => `${count(r.metrics.tasks[g]?.finished ?? 0)} of ${count(r.metrics.tasks[g]?.count ?? 0)}`),
              row(`${g}: completion, mean`, (r) => seconds(r.metrics.tasks[g]?.completionNs?.mean)),
              row(`${g}: completion, max`, (r) => seconds(r.metrics.tasks[g]?.completionNs?.max)),
            ]),
          },
        ]
      : []),
    {
      title: sameWindow
        ? `vCPU time (% of ${plural(c.scenario.machine.vcpus, 'vCPU')} × ${humanNs(c.scenario.durationMs * 1e6)})`
        : `vCPU time (% of ${plural(c.scenario.machine.vcpus, 'vCPU')} × each run's measured window)`,
      rows: (
        [
          ['user', 'guest user'],
          ['kernel', 'guest kernel'],
          ['host', 'in host (exits)'],
          ['sync', 'blocked in sync fault'],
          ['halt', 'APF halt'],
          ['idle', 'idle'],
        ] as const
      ).map(([k, label]) => row(label, (r) => pct(r.metrics.vcpuTimeNs[k], c.scenario.machine.vcpus * r.run.measuredNs))),
    },
    {
      title: 'Faults on host-missing pages',
      rows: [
        row('faults', (r) => count(r.metrics.apf.faults)),
        // Host-missing pages served with no read (not faults): their exits are in the table below.
        ...(vs.some((r) => r.metrics.apf.zeroFills > 0) ? [row('not faults: zero-filled, no I/O', (r) => dash(r.metrics.apf.zeroFills))] : []),
        ...(vs.some((r) => r.metrics.apf.swapCacheHits > 0) ? [row('not faults: from the swap cache', (r) => dash(r.metrics.apf.swapCacheHits))] : []),
        row('async (not-present delivered)', (r) => `${count(r.metrics.apf.notPresentDelivered)} (${pct(r.metrics.apf.notPresentDelivered, r.metrics.apf.faults)})`),
        ...union((r) => r.metrics.apf.syncFallbacks).map((k) => row(`sync: ${k}`, (r) => dash(r.metrics.apf.syncFallbacks[k]))),
        ...union((r) => r.metrics.apf.haltReasons).map((k) => row(`halt: ${k}`, (r) => dash(r.metrics.apf.haltReasons[k]))),
        ...union((r) => r.metrics.apf.retryReasons).map((k) => row(`re-entry, no signal: ${k}`, (r) => dash(r.metrics.apf.retryReasons[k]))),
        row('repeated faults', (r) => dash(r.metrics.apf.repeatedFaults)),
        row('page-ready delivered', (r) => dash(r.metrics.apf.readyDelivered)),
        ...union((r) => r.metrics.apf.archEvents).map((k) => row(k, (r) => dash(r.metrics.apf.archEvents[k]))),
      ],
    },
    {
      title: 'Exits and injections',
      rows: [
        // With no fault there is no ratio (the JSON's null).
        row('exits per fault', (r) => none(r.metrics.exitsPerFault, (x) => fixed(x, 2))),
        row('injections per fault', (r) => none(r.metrics.injectionsPerFault, (x) => fixed(x, 2))),
        ...union((r) => r.metrics.exits).map((k) => row(k, (r) => dash(r.metrics.exits[k]))),
      ],
    },
    // Post-copy (facts/anchors.md §A4): QEMU's blocktime and what went over the link.
    ...(vs.some((r) => r.metrics.postcopy !== null)
      ? [
          {
            title: 'Post-copy (blocktime: vCPUs waiting for a page from the source, ms)',
            rows: [
              row('blocktime, all vCPUs at once', (r) => (r.metrics.postcopy ? ms(r.metrics.postcopy.blocktimeNs) : '—')),
              // One row per vCPU on a small machine; a large one gets the busiest vCPU's figure (all of them are in --json).
              ...(c.scenario.machine.vcpus <= 8
                ? Array.from({ length: c.scenario.machine.vcpus }, (_, i) =>
                    row(`blocktime, vCPU ${i}`, (r) => (r.metrics.postcopy ? ms(r.metrics.postcopy.vcpuBlocktimeNs[i] ?? 0) : '—')),
                  )
                : [row('blocktime, most of one vCPU', (r) => (r.metrics.postcopy ? ms(Math.max(...r.metrics.postcopy.vcpuBlocktimeNs)) : '—'))]),
              row('pages requested by faults', (r) => (r.metrics.postcopy ? count(r.metrics.postcopy.pagesRequested) : '—')),
              row('pages pushed', (r) => (r.metrics.postcopy ? count(r.metrics.postcopy.pagesPushed) : '—')),
              row('migration complete at (ms)', (r) => (r.metrics.postcopy?.completedAtNs != null ? ms(r.metrics.postcopy.completedAtNs) : '—')),
            ],
          },
        ]
      : []),
    {
      title: 'Fault latency, fault to access done (ms)',
      rows: [
        ...(['p50', 'p99', 'max'] as const).map((k) =>
          // No fault completed: there is no latency to show, not a latency of 0.
          row(k, (r) => none(r.metrics.faultLatencyNs[k], ms)),
        ),
      ],
    },
    ...(vs.some((r) => r.metrics.ipi.count > 0 || r.metrics.ipi.refused > 0)
      ? [
          {
            // The sender spins until the target ran the handler: a target blocked in a sync fault cannot.
            title: 'IPIs (call-function, sender waits)',
            rows: [
              row('sent', (r) => count(r.metrics.ipi.count)),
              ...(vs.some((r) => r.metrics.ipi.refused > 0) ? [row('refused: target offline (-ENXIO)', (r) => count(r.metrics.ipi.refused))] : []),
              // Calls only refused, or none whose wait ended in the window: no wait to show.
              row('sender wait, mean (ms)', (r) => none(r.metrics.ipi.waitNs?.mean, ms)),
              row('sender wait, p99 (ms)', (r) => none(r.metrics.ipi.waitNs?.p99, ms)),
            ],
          },
        ]
      : []),
    {
      title: 'Safety',
      rows: [
        row('unsafe injections', (r) => count(r.metrics.unsafeInjections.total)),
        ...union((r) => r.metrics.unsafeInjections.byRegion).map((region) =>
          row(`  in ${region} code`, (r) => dash(r.metrics.unsafeInjections.byRegion[region])),
        ),
        ...hazardRows,
        // Every violation counted, not the first KEEP_PER_INVARIANT of each kept in full.
        row('invariants (7 checked)', (r) => (r.invariants.ok ? 'ok' : `FAIL ${count(violationTotals(r.invariants).total)}`)),
        row('async PFs in flight at end', (r) => count(r.invariants.inFlight)),
      ],
    },
  ];
  const allRows = sections.flatMap((s) => s.rows);
  const labelWidth = Math.max(...sections.map((s) => s.title.length), ...allRows.map((r) => r.label.length)) + 2;
  const cellWidth = Math.max(10, ...vs.map((v) => v.id.length), ...allRows.flatMap((r) => r.cells.map((x) => x.length))) + 2;
  const violations = vs.flatMap((r) => [
    ...r.invariants.violations.map((v) => `${r.id}: invariant ${v.invariant} (${v.name}) at ${humanNs(v.timeNs)}, vCPU ${v.vcpu}: ${v.message}`),
    ...violationTotals(r.invariants).unlisted.map(
      (u) => `${r.id}: invariant ${u.invariant} (${u.name}): ${u.count.toLocaleString('en-US')} more, not listed (the first ${KEEP_PER_INVARIANT} of each invariant are)`,
    ),
  ]);
  // A run cut short says so: its figures cover only the time it simulated.
  const stopped = vs
    .filter((r) => r.run.stoppedEarly !== null)
    .map((r) => `${r.id}: ${r.run.stoppedEarly}; simulated ${humanNs(r.run.simulatedNs)}${r.run.simulatedNs < c.scenario.durationMs * 1e6 ? ` of the ${humanNs(c.scenario.durationMs * 1e6)} window, and its figures cover only that` : ''}`);
  return {
    header: scenarioHeader(c.scenario, c.seed),
    stopped,
    columns: vs.map((v) => v.id),
    labelWidth,
    cellWidth,
    sections,
    legend,
    variants: vs.map((v) => `${v.id}: ${v.title}. ${v.origin}.`),
    findings: vs.flatMap((v) =>
      v.findings.filter((f) => f.severity !== 'note').map((f) => `${v.id} [${f.severity}] ${f.text} (${f.cite})`),
    ),
    violations,
  };
}

export function scenarioHeader(s: Scenario, seed: number): string[] {
  return [
    // The scenario's own text: a control character in it is shown escaped, not sent to the terminal.
    // A scenario without a description ends at its seed (it left a dangling ": ").
    `scenario ${oneLine(s.name)}, seed ${seed}${s.description.trim() ? `: ${oneLine(s.description)}` : ''}`,
    `${plural(s.machine.vcpus, 'vCPU')}, ${mib(s.machine.guestMemoryMiB)} guest, host limit ${mib(s.machine.hostResidentMiB)}; ` +
      `${backingLine(s.backing)}; ${window(s)}${s.drain.enabled ? ', then drained' : ''}`,
  ];
}

/** The measured window: fixed, or ended by the `until` tasks (each run's own, at most durationMs). */
function window(s: Scenario): string {
  const most = humanNs(s.durationMs * 1e6);
  const tasks = s.until?.tasks ?? [];
  return s.until ? `measured until ${tasks.join(' and ')} ${tasks.length === 1 ? 'finishes' : 'finish'} (at most ${most})` : `${most} measured`;
}

function backingLine(b: Scenario['backing']): string {
  if (b.kind === 'postcopy') {
    return `post-copy link: RTT ${humanNs(b.rttUs * 1000)}, ${count(b.bandwidthMBps)} MB/s, ${fixed(100 * b.dirtyShare, 2)}% of written pages on the source, push ${b.push ? 'on' : 'off'}`;
  }
  if (b.synchronousIo) return `synchronous swap (zram-like, read in the faulting thread, no readahead) ${latencyText(b.latency)}`;
  return `swap ${latencyText(b.latency)}, queue depth ${b.queueDepth}`;
}

/** What the device draws: a fixed value, or the distribution and its shortest and longest draw. */
function latencyText(l: LatencySpec): string {
  const { minNs, maxNs } = latencyRangeNs(l);
  if (l.dist === 'fixed') return `fixed ${humanNs(maxNs)}`;
  const range = minNs === maxNs ? `always ${humanNs(minNs)}` : `${humanNs(minNs)} … ${humanNs(maxNs)}`;
  return `${l.dist} ${l.dist === 'lognormal' ? 'median' : 'mean'} ${humanNs(l.us * 1000)} (${range})`;
}
