import { join } from 'node:path';
import type { SweepDocument, SweepPart } from '../../core/sweep/document.js';
import { SWEEP_METRICS } from '../../core/sweep/metrics.js';
import { checkDirectory, checkTargets, makeDirectory, writeAll } from '../write-files.js';
import { templatesDir } from '../render.js';
import { DocumentTemplates } from '../report/documents.js';
import { sweepChart } from './chart.js';

/** The files a whole sweep writes into its --out directory; a sharded one writes only its part. */
export const SWEEP_FILES = { runs: 'runs.csv', summary: 'summary.csv', json: 'sweep.json', chart: 'chart.svg' } as const;

export function partFileName(shard: { index: number; count: number }): string {
  return `part-${shard.index}-of-${shard.count}.json`;
}

/** Compiles the chart's template now, so that a broken one is reported before hours of runs. */
export function chartTemplates(): DocumentTemplates {
  const t = new DocumentTemplates(templatesDir());
  t.prepare('svg', ['sweep-chart']);
  return t;
}

/** The sweep's files, all rendered before any is written. */
export function sweepFiles(doc: SweepDocument, dir: string, templates: DocumentTemplates): [string, string][] {
  return [
    [join(dir, SWEEP_FILES.runs), runsCsv(doc)],
    [join(dir, SWEEP_FILES.summary), summaryCsv(doc)],
    [join(dir, SWEEP_FILES.json), `${JSON.stringify(doc, null, 2)}\n`],
    [join(dir, SWEEP_FILES.chart), templates.render('svg', 'sweep-chart', sweepChart(doc))],
  ];
}

export function partFile(part: SweepPart, dir: string): [string, string] {
  return [join(dir, partFileName(part.shard)), `${JSON.stringify(part)}\n`];
}

/**
 * Refuses, before the runs, an --out `writeInto()` would refuse after them: a directory it cannot
 * make, or a file name in it it cannot write (`names`: SWEEP_FILES, or the part's name).
 */
export function checkInto(dir: string, names: readonly string[]): void {
  checkDirectory(dir, '--out');
  checkTargets(names.map((name) => join(dir, name)), 'the sweep', `--out ${dir}`);
}

/** Writes the files into `dir` (made if missing), all or none. */
export function writeInto(dir: string, files: readonly [string, string][]): void {
  makeDirectory(dir, '--out');
  writeAll(files, 'the sweep', `--out ${dir}`);
}

/**
 * One row per point × variant × run: the parameters, then every metric (empty where the run has
 * none), then why the run stopped early (empty where it did not): last, so that the columns
 * before it stay where they were.
 */
export function runsCsv(doc: SweepDocument): string {
  const names = doc.sweep.params.map((p) => p.name);
  const metrics = SWEEP_METRICS.map((m) => m.name);
  const lines = [csvRow(['point', ...names, 'variant', 'run', 'seed', ...metrics, 'stoppedEarly'])];
  for (const r of doc.runs) lines.push(csvRow([r.point, ...names.map((n) => r.params[n]), r.variant, r.run, r.seed, ...metrics.map((m) => r.metrics[m]), r.stoppedEarly]));
  return `${lines.join('\n')}\n`;
}

/** One row per point × variant: each metric's mean, min and max over the seeds (empty where none has it). */
export function summaryCsv(doc: SweepDocument): string {
  const names = doc.sweep.params.map((p) => p.name);
  const metrics = SWEEP_METRICS.map((m) => m.name);
  const lines = [csvRow(['point', ...names, 'variant', 'seeds', ...metrics.flatMap((m) => [`${m}.mean`, `${m}.min`, `${m}.max`])])];
  for (const s of doc.summary) {
    const stats = metrics.flatMap((m) => {
      const t = s.metrics[m];
      return t ? [t.mean, t.min, t.max] : [null, null, null];
    });
    lines.push(csvRow([s.point, ...names.map((n) => s.params[n]), s.variant, s.seeds, ...stats]));
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled; null (no figure) is an empty field. */
function csvRow(fields: readonly (string | number | boolean | null)[]): string {
  return fields.map((f) => (f === null ? '' : typeof f === 'string' && /[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : String(f))).join(',');
}
