import type { MetricCurves, SweepDocument } from '../../core/sweep/document.js';
import { metricCurves } from '../../core/sweep/document.js';
import { SWEEP_METRICS } from '../../core/sweep/metrics.js';
import type { SweepValue } from '../../core/sweep/spec.js';
import { plural } from '../views/format.js';
import { lineAxes, niceCeil, r1, seriesStyle, type LineChart, type Tick } from '../report/charts.js';

/**
 * The sweep's chart: one metric against one parameter, a line per variant through the mean at
 * each value, a bar from the smallest to the largest run there. Geometry only, drawn by
 * templates/svg/sweep-chart.svg.hbs like the report's charts (cli/report/charts.ts).
 */
export interface SweepChart extends LineChart {
  readonly note: string;
  readonly series: readonly (LineChart['series'][number] & {
    readonly points: readonly { readonly x: number; readonly y: number; readonly y1: number; readonly y2: number; readonly title: string }[];
  })[];
}

/** Room between the axis and the first and last value, so that their markers stand clear of it. */
const PAD = 18;
/**
 * An x label's width per character at the axes' 11 px font (a digit is about 0.6 em, rounded up),
 * and the room left between two labels.
 */
const CHAR_PX = 7;
const GAP_PX = 6;

export function sweepChart(doc: SweepDocument): SweepChart {
  const c = metricCurves(doc, doc.sweep.metric, doc.sweep.x);
  const metric = SWEEP_METRICS.find((m) => m.name === c.metric)!;
  // Lower than the report's plots: the note under the title needs a line of its own.
  const base = { ...lineAxes('chart-sweep', `${c.metric} by ${c.x.name}`, c.series.length), top: 76 };
  // A label is centred on its value: the first and last need room for half of it inside the chart.
  const ends = labelsApart(byPlace(c.x.values));
  const half = (label: string | undefined) => ((label?.length ?? 0) * CHAR_PX) / 2;
  const padLeft = Math.max(PAD, half(ends[0]) - base.left);
  const padRight = Math.max(PAD, half(ends[ends.length - 1]) - (base.width - base.right));
  const xs = xPositions(c.x.values, c.x.spec, base.left + padLeft, base.right - padRight);
  const top = Math.max(0, ...c.series.flatMap((s) => s.stats.map((t) => t?.max ?? 0)));
  const yMax = top > 0 ? niceCeil(top) : 1;
  const y = (v: number) => r1(base.bottom - (v / yMax) * (base.bottom - base.top));
  // Side by side at one x, the variants' bars would hide each other: each is nudged a little.
  const nudge = (i: number) => (i - (c.series.length - 1) / 2) * 4;
  // Left to right, whatever order the values were listed in: 1000,100,10000 must not draw a line
  // that doubles back.
  const order = xs.map((_, k) => k).sort((a, b) => xs[a] - xs[b]);
  // A value where no run has the figure (no fault completed, for a latency) is left out, and the
  // line is broken there rather than drawn through a value that does not exist.
  const series = c.series.map((s, i) => {
    const points = order.flatMap((k, rank) => {
      const t = s.stats[k];
      return t
        ? [{ rank, x: r1(xs[k] + nudge(i)), y: y(t.mean), y1: y(t.min), y2: y(t.max), title: `${s.variant} at ${c.x.name}=${String(c.x.values[k])}: mean ${t.mean}, min ${t.min}, max ${t.max}` }]
        : [];
    });
    const d = points.map((p, j) => `${j > 0 && points[j - 1].rank === p.rank - 1 ? 'L' : 'M'}${p.x},${p.y}`).join('');
    return { label: s.variant, ...seriesStyle(i), d, points: points.map(({ rank: _rank, ...p }) => p) };
  });
  return {
    ...base,
    legend: base.legend.map((l, i) => ({ ...l, label: series[i].label, color: series[i].color, dash: series[i].dash })),
    xLabel: `${c.x.name}${isLog(c.x.spec) ? ' (log scale)' : ''}`,
    yLabel: `${c.metric} (${metric.unit})`,
    xTicks: xTicks(c.x.values, xs),
    yTicks: [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: y(f * yMax), label: short(f * yMax) })),
    note: note(c, doc.sweep.seeds),
    series,
  };
}

/** What each mark stands for, under the title. */
function note(c: MetricCurves, seeds: number): string {
  const over = c.over.map((p) => `${plural(p.values.length, 'value')} of ${p.name}`);
  const runs = [plural(seeds, 'seed'), ...over].join(' × ');
  // As the table's `*`: a mean over only the runs that have the figure (no fault, no latency).
  const partial = c.series.some((s) => s.have.some((h, k) => h > 0 && h < s.runs[k]));
  return `line: mean over ${runs}${partial ? ' (where only some runs have the figure, over those)' : ''}; bar: min to max`;
}

function isLog(spec: string): boolean {
  return /:log:/.test(spec);
}

/** Log or linear for numbers (as the spec spaced them), evenly spaced in the given order otherwise. */
function xPositions(values: readonly SweepValue[], spec: string, lo: number, hi: number): number[] {
  const nums = values.every((v) => typeof v === 'number') ? (values as number[]) : null;
  if (values.length === 1) return [(lo + hi) / 2];
  if (!nums) return values.map((_, i) => lo + (i / (values.length - 1)) * (hi - lo));
  const f = isLog(spec) ? Math.log10 : (v: number) => v;
  const min = f(Math.min(...nums));
  const max = f(Math.max(...nums));
  return nums.map((v) => lo + ((f(v) - min) / (max - min)) * (hi - lo));
}

/** The values in their order on the axis: numbers by size, anything else as listed. */
function byPlace(values: readonly SweepValue[]): SweepValue[] {
  return values.every((v) => typeof v === 'number') ? [...(values as number[])].sort((a, b) => a - b) : [...values];
}

/**
 * Labels left to right, each one only where it stands clear of the last one drawn. Thinning by
 * the values' place in the list overlapped labels on a linear axis (100 and 300 among 1000 and
 * 10000, 11 px apart) and left room unused elsewhere. A label's width is taken at the digits that
 * tell every two values apart, which the labels drawn need no more of.
 */
function xTicks(values: readonly SweepValue[], xs: readonly number[]): Tick[] {
  const order = xs.map((_, k) => k).sort((a, b) => xs[a]! - xs[b]!);
  const widest = labelsApart(order.map((k) => values[k]!)).map((l) => l.length * CHAR_PX);
  const kept: number[] = [];
  let last = -1;
  order.forEach((k, j) => {
    if (last >= 0 && xs[k]! - xs[order[last]!]! < (widest[j]! + widest[last]!) / 2 + GAP_PX) return;
    kept.push(k);
    last = j;
  });
  const labels = labelsApart(kept.map((k) => values[k]!));
  return kept.map((k, i) => ({ at: r1(xs[k]!), label: labels[i]! }));
}

/**
 * Labels of values in order, with as many significant digits (3 at least) as tell each one from
 * its neighbours: at 3, 1000, 1005 and 1010 read "1k", "1k" and "1.01k".
 */
function labelsApart(values: readonly SweepValue[]): string[] {
  for (let digits = 3; ; digits++) {
    const labels = values.map((v) => (typeof v === 'number' ? short(v, digits) : String(v)));
    const apart = labels.every((l, i) => i === 0 || l !== labels[i - 1] || values[i] === values[i - 1]);
    if (apart || digits === 17) return labels;
  }
}

/**
 * `digits` significant digits (3 unless told) with k, M, G: tick labels stay short. A mantissa that
 * rounds to 1000 takes the next unit (999,999 is "1M", not "1000k" beside "1M"); from 1000G up
 * the power of ten is written ("1e21", not "1000000000000G" running off the chart).
 */
export function short(x: number, digits = 3): string {
  const units = [[1, ''], [1e3, 'k'], [1e6, 'M'], [1e9, 'G']] as const;
  for (let i = units.length - 1; i >= 0; i--) {
    const [unit, suffix] = units[i]!;
    if (Math.abs(x) < unit && i > 0) continue;
    const m = +(x / unit).toPrecision(digits);
    if (Math.abs(m) < 1000) return `${m}${suffix}`;
    if (i < units.length - 1) return `${+(x / units[i + 1]![0]).toPrecision(digits)}${units[i + 1]![1]}`;
    const [mantissa, exp] = x.toExponential(digits - 1).split('e');
    return `${+mantissa!}e${+exp!}`;
  }
  return `${+x.toPrecision(digits)}`;
}
