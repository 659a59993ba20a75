import type { Mechanisms, Variant } from '../../core/backend.js';
import type { ComparedRun, Comparison } from '../../core/compare.js';
import type { FaultLife } from '../../core/fault-life.js';
import { violationTotals } from '../../core/invariants.js';
import { experimentValue } from '../../core/reproduce.js';
import { buildCompareView, scenarioHeader } from '../views/compare.js';
import { fixed, ms, plural } from '../views/format.js';
import { latencyCdfChart, timeBreakdownChart, workOverTimeChart, type BarChart, type LineChart } from './charts.js';
import { mechanismDiff } from './mechanism-diff.js';
import type { CheckResult } from '../../core/check/walk.js';
import { buildCheckView, type CheckView } from '../views/check.js';
import { change } from '../views/reproduce.js';
import { faultSequence, type SequenceDesign, type SequenceView } from './sequence.js';

/**
 * The plain view-model of the design report (templates/md/report.md.hbs and
 * templates/html/report.html.hbs): every number formatted, every claim decided here from the
 * comparison; the templates only lay it out. The metrics table is `compare`'s own (cli/views/
 * compare.ts), so the report's numbers are the ones `apf-lab compare` prints.
 */
export interface ReportView {
  readonly title: string;
  readonly meta: { readonly scenario: string; readonly scenarioLines: readonly string[]; readonly seed: string; readonly version: string; readonly command: string };
  readonly summary: Summary;
  readonly mechanisms: { readonly against: string; readonly columns: readonly string[]; readonly rows: readonly { readonly dimension: string; readonly cells: readonly { readonly text: string; readonly differs: boolean }[] }[] };
  readonly diffs: readonly { readonly against: string; readonly variant: string; readonly patch: string; readonly lines: readonly { readonly kind: 'add' | 'del' | 'same'; readonly text: string }[] }[];
  readonly findings: readonly { readonly variant: string; readonly items: readonly { readonly severity: string; readonly text: string; readonly cite: string }[] }[];
  /** `apf-lab check` of each variant at its default bounds. */
  readonly checks: readonly CheckView[];
  readonly metrics: { readonly columns: readonly string[]; readonly span: number; readonly sections: readonly { readonly title: string; readonly rows: readonly { readonly label: string; readonly cells: readonly string[] }[] }[]; readonly legend: readonly string[] };
  readonly violations: readonly string[];
  readonly stopped: readonly string[];
  /** The latency chart is null where no fault completed: `noLatency` says so instead. */
  readonly charts: { readonly time: BarChart; readonly latency: LineChart | null; readonly work: LineChart };
  /** Chart files next to a Markdown report (null in HTML, which inlines them); no latency file without its chart. */
  readonly chartFiles: { readonly time: string; readonly latency: string | null; readonly work: string } | null;
  /** Why a variant has no line in the latency chart, or why there is none: no fault of its completed. Null where all have one. */
  readonly noLatency: string | null;
  readonly sequences: readonly { readonly variant: string; readonly caption: string; readonly sequence: SequenceView | null }[];
  /**
   * Published vs lab, where the scenario carries a published experiment (its `experiment` block) and
   * the report runs a row's variant with its baseline: the ratio of this one run next to the
   * published one. Null where the scenario is no experiment; `rows` empty where none of its rows'
   * variants is in the report (`note` says which to name).
   */
  readonly validation: Validation | null;
}

export interface Validation {
  readonly source: string;
  readonly rows: readonly { readonly label: string; readonly ratio: string; readonly lab: string; readonly published: string; readonly difference: string }[];
  readonly note: string;
}

/** Who does best on each axis, and by how much against its own architecture's baseline. */
export interface Summary {
  readonly compared: string;
  /** `measure` names what the ratio is of: "the work", or "the work per measured second" where windows differ. */
  readonly work: (Claim & { readonly measure: string }) | null;
  readonly latency: Claim | null;
  readonly exits: Claim | null;
  readonly safety: { readonly clean: string | null; readonly unsafe: readonly string[] };
}
export interface Claim {
  readonly best: string;
  readonly value: string;
  /** Its figure over its own architecture's baseline's ("1.74×"), and that baseline with its figure; null without one. */
  readonly vsBaseline: { readonly ratio: string; readonly baseline: string; readonly value: string } | null;
  /** The runner-up and its figure, or null with one variant. */
  readonly next: string | null;
  /** "x86 and arm64-sdei" where several share the best figure as shown: no one does best. */
  readonly tied: string | null;
  /**
   * The only variant compared (its baseline is no rival): nothing is ranked, so the sentence states
   * its figure, where "does best" or "needs the fewest" claimed a win over nobody, or over a
   * baseline with fewer exits.
   */
  readonly alone: boolean;
}

export interface ReportInputs {
  readonly comparison: Comparison;
  readonly variants: readonly Variant[];
  readonly lives: ReadonlyMap<string, FaultLife | null>;
  readonly guestMemoryBytes: number;
  readonly version: string;
  readonly command: string;
  readonly chartFiles: { readonly time: string; readonly latency: string; readonly work: string } | null;
  readonly checks: readonly CheckResult[];
}

const DIMENSIONS: readonly (keyof Mechanisms)[] = ['enable', 'notPresent', 'ready', 'token', 'eligibility', 'wake', 'ack'];

export function buildReportView(input: ReportInputs): ReportView {
  const c = input.comparison;
  const table = buildCompareView(c);
  const byId = new Map(input.variants.map((v) => [v.id, v]));
  const shown = c.variants.filter((r) => !r.baseline || c.variants.every((x) => x.baseline));
  // Differences are against the first variant named (the baselines are there to measure against).
  const first = shown[0] ?? c.variants[0];
  const firstVariant = byId.get(first.id)!;
  const latency = latencyCdfChart(c);
  return {
    title: `APF design report: ${shown.map((r) => r.id).join(' vs ')}`,
    meta: {
      scenario: c.scenario.name,
      scenarioLines: scenarioHeader(c.scenario, c.seed),
      seed: String(c.seed),
      version: input.version,
      command: input.command,
    },
    summary: summarize(c, input.checks),
    mechanisms: {
      against: first.id,
      columns: c.variants.map((r) => r.id),
      rows: DIMENSIONS.map((d) => ({
        dimension: d,
        cells: c.variants.map((r) => ({ text: r.mechanisms[d], differs: r.mechanisms[d] !== first.mechanisms[d] })),
      })),
    },
    diffs: shown.slice(1).map((r) => {
      const patch = mechanismDiff(firstVariant, byId.get(r.id)!, input.guestMemoryBytes);
      return { against: firstVariant.id, variant: r.id, patch, lines: patchLines(patch) };
    }),
    findings: c.variants
      .filter((r) => r.findings.length > 0)
      .map((r) => ({ variant: r.id, items: r.findings.map((f) => ({ severity: f.severity, text: f.text, cite: f.cite })) })),
    checks: input.checks.map(buildCheckView),
    metrics: {
      columns: table.columns,
      span: table.columns.length + 1,
      sections: table.sections.map((s) => ({ title: s.title, rows: s.rows.map((r) => ({ label: r.label.trim(), cells: r.cells })) })),
      legend: table.legend,
    },
    violations: table.violations,
    stopped: table.stopped,
    charts: { time: timeBreakdownChart(c), latency, work: workOverTimeChart(c) },
    chartFiles: input.chartFiles && { ...input.chartFiles, latency: latency ? input.chartFiles.latency : null },
    noLatency: noLatency(c),
    validation: validation(c),
    sequences: c.variants.map((r) => {
      const life = input.lives.get(r.id) ?? null;
      return {
        variant: r.id,
        caption: life
          ? `task ${life.task} on vCPU ${life.vcpu}, gfn 0x${life.gfn.toString(16)}, faulted at ${ms(life.startNs)} ms; ${ms(life.latencyNs)} ms to the access done`
          : 'no fault was traced to its end in this run',
        sequence: life ? faultSequence(r.id, life, r.mechanisms, sequenceDesign(byId.get(r.id)!, input.guestMemoryBytes)) : null,
      };
    }),
  };
}

/**
 * The scenario's published figures next to this run's (core/reproduce.ts experimentValue(), the
 * figure `apf-lab reproduce` compares over several seeds): variant ÷ its baseline, same seed.
 */
export function validation(c: Comparison): Validation | null {
  const exp = c.scenario.experiment;
  if (!exp) return null;
  const run = (id: string) => c.variants.find((r) => r.id === id) ?? null;
  const rows = exp.rows.flatMap((row) => {
    const v = run(row.variant);
    const b = run(row.baseline);
    if (!v || !b) return [];
    const base = experimentValue(row, b);
    const ratio = base > 0 ? experimentValue(row, v) / base : NaN;
    const lab = Number.isFinite(ratio) ? `${fixed(ratio, 3)} (${change(ratio)})` : `— (${row.baseline} or ${row.variant} gave no ${row.metric})`;
    return [
      {
        label: row.label,
        ratio: `${row.variant} ÷ ${row.baseline}`,
        lab,
        published: row.published === null ? '— (withheld: the lab predicts)' : `${fixed(row.published, 3)} (${change(row.published)})`,
        difference:
          row.published === null || !Number.isFinite(ratio) ? '—' : `${ratio >= row.published ? '+' : '−'}${fixed(Math.abs(ratio - row.published) * 100, 1)} pp`,
      },
    ];
  });
  const named = [...new Set(exp.rows.map((r) => r.variant))];
  const note =
    rows.length > 0
      ? `One run, seed ${c.seed}; apf-lab reproduce ${c.scenario.name} gives the mean, min and max over several seeds`
      : `None of this experiment's figures is for a variant in this report: name ${andList(named)} to see them`;
  return { source: exp.source, rows, note };
}

/** The design's caps a diagram reads, from a backend at its default knobs (as `show` builds one). */
function sequenceDesign(v: Variant, guestMemoryBytes: number): SequenceDesign {
  const backend = v.createBackend({ costOverrides: v.defaultCosts, knobs: v.knobs, guestMemoryBytes });
  return { readyOnlyIfNotPresentInjected: backend.caps.readyOnlyIfNotPresentInjected };
}

export function summarize(c: Comparison, checks: readonly CheckResult[]): Summary {
  const checkOf = (r: ComparedRun) => checks.find((k) => k.variant === r.id)?.findings.length ?? 0;
  const candidates = c.variants.filter((r) => !r.baseline);
  const pool = candidates.length > 0 ? candidates : c.variants;
  const baseOf = (r: ComparedRun) => c.variants.find((b) => b.id === r.baselineId && b.id !== r.id) ?? null;
  // Ranked by `rank` (shown by `showRank`), reported with `metric`: work is ranked by its ratio to
  // each variant's own baseline, since raw work of two architectures is priced differently. A
  // figure is shown with `digits` decimals; the best and the next take more where fewer would
  // print them alike (11,399,838 ns and 11,400,205 ns were both "11.400 ms", and called a tie):
  // only equal figures tie. Ranks are unrounded figures, as the JSON's ratios (4 decimals) made
  // different figures equal. The extra decimals go to `metric` only where it is the ranked figure:
  // digits that part two ratios would print 100 units as "0.000100 M units".
  const claim = (
    metric: (r: ComparedRun) => number,
    better: 'high' | 'low',
    show: Shown,
    ratioOk: boolean,
    rank = metric,
    showRank = show,
    showTied = showRank,
  ): Claim | null => {
    const usable = pool.filter((r) => Number.isFinite(rank(r)));
    if (usable.length === 0) return null;
    const sorted = [...usable].sort((a, b) => (better === 'high' ? rank(b) - rank(a) : rank(a) - rank(b)));
    const best = sorted[0];
    const tiedIds = sorted.filter((r) => digitsApart(showRank, rank(r), rank(best)) === null).map((r) => r.id);
    const next = sorted[1];
    const extra = next && tiedIds.length === 1 ? digitsApart(showRank, rank(best), rank(next))! : 0;
    const metricExtra = rank === metric ? extra : 0;
    // Several may share second place as well: all are named.
    const nextIds = next ? sorted.slice(1).filter((r) => digitsApart(showRank, rank(r), rank(next)) === null).map((r) => r.id) : [];
    const base = baseOf(best);
    const ratio =
      base && ratioOk && metric(base) > 0
        ? { ratio: `${fixed(metric(best) / metric(base), 2 + extra)}×`, baseline: base.id, value: show(metric(base), metricExtra) }
        : null;
    return {
      best: best.id,
      value: tiedIds.length > 1 ? showTied(rank(best)) : show(metric(best), metricExtra),
      vsBaseline: ratio,
      next: nextIds.length > 1 ? `${andList(nextIds)} (${showTied(rank(next!), extra)})` : next ? `${next.id} (${showRank(rank(next), extra)})` : null,
      tied: tiedIds.length > 1 ? andList(tiedIds) : null,
      alone: pool.length === 1,
    };
  };
  const arches = new Set(pool.map((r) => r.arch));
  const ratios = pool.every((r) => r.workVsBaseline !== null && !r.baseline);
  // Where the runs measured different windows (a scenario with `until`), work is compared per
  // measured second, as workVsBaseline is (core/compare.ts): the figure printed is the one ranked,
  // where totals had a run with 0.66× its baseline's work ranked first for 1.32× its rate.
  const perSecond = new Set(c.variants.map((r) => r.run.measuredNs)).size > 1;
  const workOf = (r: ComparedRun) => (!perSecond ? r.metrics.work : r.run.measuredNs > 0 ? r.metrics.work / (r.run.measuredNs / 1e9) : NaN);
  const units: Shown = (x, extra = 0) => `${fixed(x / 1e6, 3 + extra)} M units${perSecond ? ' per measured second' : ''}`;
  const workClaim = ratios
    ? claim(
        workOf,
        'high',
        units,
        true,
        (r) => {
          const base = baseOf(r);
          return base && workOf(base) > 0 ? workOf(r) / workOf(base) : NaN;
        },
        (x, extra = 0) => `${fixed(x, 2 + extra)}× its baseline`,
        (x, extra = 0) => `${fixed(x, 2 + extra)}× their baselines`,
      )
    : arches.size === 1
      ? claim(workOf, 'high', units, true)
      : null;
  const work = workClaim && { ...workClaim, measure: perSecond ? 'the work per measured second' : 'the work' };
  const unsafe = c.variants
    .filter((r) => r.metrics.unsafeInjections.total > 0 || !r.invariants.ok || r.findings.some((f) => f.severity === 'blocker') || checkOf(r) > 0)
    .map((r) => {
      const parts = [
        r.metrics.unsafeInjections.total > 0 ? `${r.metrics.unsafeInjections.total} unsafe injections` : null,
        r.invariants.ok ? null : `${violationTotals(r.invariants).total.toLocaleString('en-US')} invariant violations`,
        r.findings.some((f) => f.severity === 'blocker') ? plural(r.findings.filter((f) => f.severity === 'blocker').length, 'blocker finding') : null,
        checkOf(r) > 0 ? `${plural(checkOf(r), 'kind')} of wrong in the protocol check` : null,
      ].filter((p) => p !== null);
      return `${r.id}: ${parts.join(', ')}`;
    });
  const clean = c.variants.filter((r) => r.metrics.unsafeInjections.total === 0 && r.invariants.ok && !r.findings.some((f) => f.severity === 'blocker') && checkOf(r) === 0).map((r) => r.id);
  return {
    compared: `${pool.map((r) => r.id).join(', ')} on scenario ${c.scenario.name}, seed ${c.seed}`,
    work,
    latency: claim((r) => r.metrics.faultLatencyNs.p99 ?? NaN, 'low', (x, extra = 0) => `p99 ${fixed(x / 1e6, 3 + extra)} ms`, true),
    exits: claim((r) => (r.metrics.apf.faults > 0 ? r.metrics.exitsTotal / r.metrics.apf.faults : NaN), 'low', (x, extra = 0) => `${fixed(x, 2 + extra)} exits per fault`, true),
    safety: { clean: clean.length > 0 ? clean.join(', ') : null, unsafe },
  };
}

/**
 * The variants with no fault latency (no fault of theirs that started in the window completed,
 * core/run.ts faultLatencyNs), said in words, since a chart cannot show what is absent; null where
 * none lacks one.
 */
export function noLatency(c: Comparison): string | null {
  const none = c.variants.filter((r) => r.metrics.faultLatencyNs.quantiles === null).map((r) => r.id);
  if (none.length === 0) return null;
  if (none.length === c.variants.length) return 'No fault completed in this run, in any variant, so there is no fault-latency chart';
  return `No fault of ${andList(none)} completed in this run: ${none.length > 1 ? 'they have' : 'it has'} no line in the fault-latency chart`;
}

/** A figure as the summary prints it, with `extra` decimals beyond its usual ones. */
type Shown = (x: number, extra?: number) => string;

/**
 * How many more decimals tell two figures apart (0 where the usual ones do); null where twelve
 * more do not, as for equal figures (or two that differ by a rounding of the arithmetic).
 */
function digitsApart(show: Shown, a: number, b: number): number | null {
  for (let extra = 0; extra <= 12; extra++) if (show(a, extra) !== show(b, extra)) return extra;
  return null;
}

function andList(ids: readonly string[]): string {
  return ids.length <= 2 ? ids.join(' and ') : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`;
}

function patchLines(patch: string): { kind: 'add' | 'del' | 'same'; text: string }[] {
  return patch
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => ({ kind: /^\+(?!\+\+ )/.test(text) ? 'add' : /^-(?!-- )/.test(text) ? 'del' : 'same', text }));
}
