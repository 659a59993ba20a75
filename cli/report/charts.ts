import type { ComparedRun, Comparison } from '../../core/compare.js';
import type { TimeCategory } from '../../core/metrics.js';
import { TIME_CATEGORIES } from '../../core/metrics.js';

/**
 * The report's charts as geometry: plain view-models the SVG partials (templates/svg/partials)
 * draw, every coordinate and label computed here, so the SVG is deterministic and needs no
 * browser. Colours are Okabe & Ito's colour-blind-safe set; lines also differ by dash.
 */
export const OKABE_ITO = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'] as const;
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4'] as const;

const TIME_LABELS: Record<TimeCategory, { label: string; color: string }> = {
  user: { label: 'guest user', color: '#009E73' },
  kernel: { label: 'guest kernel', color: '#56B4E9' },
  host: { label: 'in host (exits)', color: '#E69F00' },
  sync: { label: 'blocked in sync fault', color: '#D55E00' },
  halt: { label: 'APF halt', color: '#CC79A7' },
  idle: { label: 'idle', color: '#999999' },
};

export interface Tick {
  readonly at: number;
  readonly label: string;
}
export interface LegendItem {
  readonly label: string;
  readonly color: string;
  readonly dash: string;
  readonly x: number;
  readonly x2: number;
  readonly y: number;
  readonly strokeWidth: number;
}
export interface Axes {
  readonly id: string;
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xTicks: readonly Tick[];
  readonly yTicks: readonly Tick[];
  readonly legend: readonly LegendItem[];
}
export interface BarChart extends Axes {
  readonly bars: readonly { readonly label: string; readonly y: number; readonly labelY: number; readonly h: number; readonly segments: readonly { readonly x: number; readonly w: number; readonly color: string; readonly title: string }[] }[];
}
export interface LineChart extends Axes {
  readonly series: readonly { readonly label: string; readonly color: string; readonly dash: string; readonly d: string }[];
}

const W = 720;
const LEFT = 110;
const RIGHT = W - 20;
/** Coordinates to a tenth of a pixel: shorter SVG, and no float noise in the text. */
export const r1 = (x: number) => Math.round(x * 10) / 10;

function legendRows(items: readonly { label: string; color: string; dash: string }[], y0: number, strokeWidth: number): LegendItem[] {
  // Three to a row, under the plot.
  const colW = (RIGHT - LEFT) / 3;
  return items.map((it, i) => {
    const x = r1(LEFT + (i % 3) * colW);
    return { ...it, x, x2: x + 24, y: y0 + Math.floor(i / 3) * 18, strokeWidth };
  });
}

/** vCPU time by what the vCPUs did, one stacked bar per variant, as % of its measured vCPU time. */
export function timeBreakdownChart(c: Comparison): BarChart {
  const vs = c.variants;
  const barH = 22;
  const gap = 10;
  const top = 56;
  const bottom = top + vs.length * (barH + gap);
  const scale = (p: number) => LEFT + (p / 100) * (RIGHT - LEFT);
  const legend = legendRows(TIME_CATEGORIES.map((k) => ({ label: TIME_LABELS[k].label, color: TIME_LABELS[k].color, dash: '' })), bottom + 52, 12);
  return {
    id: 'chart-time',
    title: 'vCPU time breakdown',
    width: W,
    height: legend[legend.length - 1].y + 20,
    left: LEFT,
    top,
    right: RIGHT,
    bottom,
    xLabel: `share of vCPU time (%, ${c.scenario.machine.vcpus} vCPUs × the measured window)`,
    yLabel: 'variant',
    xTicks: [0, 25, 50, 75, 100].map((p) => ({ at: r1(scale(p)), label: `${p}` })),
    yTicks: [],
    legend,
    bars: vs.map((r, i) => {
      const total = c.scenario.machine.vcpus * r.run.measuredNs;
      let acc = 0;
      const y = top + gap / 2 + i * (barH + gap);
      return {
        label: r.id,
        y,
        labelY: y + barH / 2 + 4,
        h: barH,
        segments: TIME_CATEGORIES.filter((k) => r.metrics.vcpuTimeNs[k] > 0).map((k) => {
          const p = total > 0 ? (100 * r.metrics.vcpuTimeNs[k]) / total : 0;
          const seg = { x: r1(scale(acc)), w: r1(Math.max(0.5, scale(acc + p) - scale(acc))), color: TIME_LABELS[k].color, title: `${r.id}: ${TIME_LABELS[k].label} ${p.toFixed(1)}%` };
          acc += p;
          return seg;
        }),
      };
    }),
  };
}

const DECADES: readonly [number, string][] = [
  [1e2, '100 ns'], [1e3, '1 µs'], [1e4, '10 µs'], [1e5, '100 µs'], [1e6, '1 ms'], [1e7, '10 ms'], [1e8, '100 ms'], [1e9, '1 s'], [1e10, '10 s'],
];

export function lineAxes(id: string, title: string, n: number): Pick<Axes, 'id' | 'title' | 'width' | 'height' | 'left' | 'top' | 'right' | 'bottom' | 'legend'> {
  const top = 56;
  const bottom = 316;
  const legend = legendRows(Array.from({ length: n }, () => ({ label: '', color: '', dash: '' })), bottom + 52, 3);
  return { id, title, width: W, height: (legend.length ? legend[legend.length - 1].y : bottom + 40) + 20, left: LEFT, top, right: RIGHT, bottom, legend };
}

export function seriesStyle(i: number): { color: string; dash: string } {
  return { color: OKABE_ITO[i % OKABE_ITO.length], dash: DASHES[i % DASHES.length] };
}

/**
 * Fault latency CDF, log time axis: from each run's 101 latency quantiles. Null where no run has
 * one (no fault completed): the axes alone were drawn, an empty chart that looked like a lost plot.
 */
export function latencyCdfChart(c: Comparison): LineChart | null {
  const vs = c.variants.flatMap((r) => (r.metrics.faultLatencyNs.quantiles ? [{ id: r.id, q: r.metrics.faultLatencyNs.quantiles }] : []));
  if (vs.length === 0) return null;
  const base = lineAxes('chart-latency', 'Fault latency CDF (fault to access done)', vs.length);
  const all = vs.flatMap((r) => r.q.filter((x) => x > 0));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1e4))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 1e5))));
  const x = (ns: number) => base.left + ((Math.log10(Math.max(ns, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (base.right - base.left);
  const y = (f: number) => base.bottom - f * (base.bottom - base.top);
  const series = vs.map(({ id, q }, i) => {
    // A step CDF: the fraction p/100 of faults took at most q[p].
    const pts: string[] = [`M${r1(x(q[0]))},${r1(y(0))}`];
    for (let p = 1; p <= 100; p++) pts.push(`H${r1(x(q[p]))}`, `V${r1(y(p / 100))}`);
    return { label: id, ...seriesStyle(i), d: pts.join('') };
  });
  return {
    ...base,
    legend: base.legend.map((l, i) => ({ ...l, label: series[i].label, color: series[i].color, dash: series[i].dash })),
    xLabel: 'fault latency (log scale)',
    yLabel: 'fraction of faults',
    xTicks: DECADES.filter(([ns]) => ns >= lo && ns <= hi).map(([ns, label]) => ({ at: r1(x(ns)), label })),
    yTicks: [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: r1(y(f)), label: f.toFixed(2) })),
    series,
  };
}

/** Cumulative work over the run, from each run's work per slice of time. */
export function workOverTimeChart(c: Comparison): LineChart {
  const vs = c.variants;
  const base = lineAxes('chart-work', 'Work over time (cumulative)', vs.length);
  const cumulative = (r: ComparedRun) => {
    let acc = 0;
    return r.metrics.workOverTime.units.map((u) => (acc += u));
  };
  const curves = vs.map(cumulative);
  // The axis spans the longest measured window: with `until` each run's ends when its tasks finish,
  // far short of durationMs, and a curve stops at the end of its own window.
  const spanNs = Math.max(1, ...vs.map((r) => r.run.measuredNs));
  const maxWork = niceCeil(Math.max(1, ...curves.flatMap((k) => k)) / 1e6);
  const x = (ns: number) => base.left + (Math.min(ns, spanNs) / spanNs) * (base.right - base.left);
  const y = (units: number) => base.bottom - (units / 1e6 / maxWork) * (base.bottom - base.top);
  const series = vs.map((r, i) => {
    const w = r.metrics.workOverTime.intervalNs;
    const end = r.run.measuredNs;
    const kept = curves[i].filter((_, k) => k * w < end);
    const pts = [`M${r1(x(0))},${r1(y(0))}`, ...kept.map((u, k) => `L${r1(x(Math.min((k + 1) * w, end)))},${r1(y(u))}`)];
    return { label: r.id, ...seriesStyle(i), d: pts.join('') };
  });
  const ms = spanNs / 1e6;
  return {
    ...base,
    legend: base.legend.map((l, i) => ({ ...l, label: series[i].label, color: series[i].color, dash: series[i].dash })),
    xLabel: 'simulated time (ms)',
    yLabel: 'work (M units, 1 unit = 1 µs of task compute)',
    xTicks: [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: r1(x(f * spanNs)), label: `${+(f * ms).toFixed(1)}` })),
    yTicks: [0, 0.25, 0.5, 0.75, 1].map((f) => ({ at: r1(y(f * maxWork * 1e6)), label: `${+(f * maxWork).toFixed(3)}` })),
    series,
  };
}

/** 1, 2, 2.5 or 5 times a power of ten, at or above x. */
export function niceCeil(x: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(x)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
