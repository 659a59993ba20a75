import type { ExperimentResult } from '../../core/reproduce.js';
import { fixed } from './format.js';

/** A plain view-model for templates/text/reproduce.text.hbs: every cell already a string. */
export interface ReproduceView {
  readonly head: string;
  readonly experiments: readonly { readonly title: string; readonly source: string; readonly rows: readonly string[] }[];
}

const HEAD = ['figure', 'variant ÷ baseline', 'lab mean', 'lab min–max', 'seeds', 'published', 'lab − published'];

/** A ratio as a change in percent (1.178 → +17.8 %), as the cover letters print them. */
export function change(ratio: number): string {
  const p = (ratio - 1) * 100;
  return `${p >= 0 ? '+' : '−'}${fixed(Math.abs(p), 1)} %`;
}

export function buildReproduceView(results: readonly ExperimentResult[]): ReproduceView {
  const experiments = results.map((e) => ({
    title: `${e.id} (scenario ${e.scenario})`,
    source: e.source,
    rows: e.rows.map((r) => [
      r.label,
      `${r.variant} ÷ ${r.baseline}`,
      `${fixed(r.lab.mean, 3)} (${change(r.lab.mean)})`,
      `${fixed(r.lab.min, 3)}–${fixed(r.lab.max, 3)}`,
      String(r.lab.seeds.length),
      r.published === null ? '— (prediction)' : `${fixed(r.published, 3)} (${change(r.published)})`,
      r.published === null ? '' : `${r.lab.mean >= r.published ? '+' : '−'}${fixed(Math.abs(r.lab.mean - r.published) * 100, 1)} pp`,
    ]),
  }));
  const all = [HEAD, ...experiments.flatMap((e) => e.rows)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((row) => row[i].length)) + 2);
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('').trimEnd();
  return { head: line(HEAD), experiments: experiments.map((e) => ({ ...e, rows: e.rows.map(line) })) };
}
