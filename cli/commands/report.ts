import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { variantsToCompare } from '../../arches/registry.js';
import { compareVariants } from '../../core/compare.js';
import { BadInputError } from '../../core/errors.js';
import { FaultLifeRecorder } from '../../core/fault-life.js';
import { oneLine, UsageError, type Io } from '../io.js';
import { resolveScenario, scenarioOptions, type ScenarioArgs } from '../options.js';
import { templatesDir } from '../render.js';
import { DocumentTemplates } from '../report/documents.js';
import { protocolChecks } from '../report/protocol-check.js';
import { buildReportView } from '../report/view.js';
import { idsWithFiles, variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { labVersion } from '../version.js';
import { writeAll } from '../write-files.js';
import { usageLine } from './table.js';

interface ReportArgs extends ScenarioArgs, VariantFileArgs {
  variants?: string[];
  out?: string;
  templates?: string;
}

/** Where in the window the traced fault is taken from: past the start-up, so it is a typical one. */
const TRACE_FROM = 0.1;

/**
 * `apf-lab report <variant>… --out FILE.md|FILE.html`: the comparison `compare` runs (each
 * architecture's baseline included), as a design report rendered from templates/. A Markdown
 * report writes its three charts next to it as SVG files (no latency chart where no fault
 * completed); an HTML one is a single file.
 * Nothing is written until everything rendered.
 */
export function reportCommand(io: Io, argv: readonly string[]): CommandModule<object, ReportArgs> {
  return {
    ...usageLine('report'),
    builder: (y) =>
      variantFileOption(scenarioOptions(y))
        .positional('variants', { type: 'string', array: true, describe: 'variant ids (see `apf-lab list`); each architecture\'s baseline is included' })
        .option('out', { alias: 'o', type: 'string', requiresArg: true, describe: 'the report file: FILE.md or FILE.html' })
        .option('templates', { type: 'string', requiresArg: true, describe: 'a copy of templates/ to render with instead of the lab\'s own' })
        // scenarioOptions() brings --json; a report is a document, so it is kept out of the help and refused.
        .hide('json') as never,
    handler: (args) => {
      if (args.json) throw new UsageError('report writes a document (--out FILE.md or FILE.html), not JSON: `apf-lab compare … --json` prints its numbers as JSON');
      const out = args.out;
      if (out === undefined || out === '') throw new UsageError('--out FILE.md or --out FILE.html is required');
      // extname('.md') is '': such a name is all extension, and 'must end in .md' would be wrong.
      const bare = /^\.(md|html)$/i.exec(basename(out));
      if (bare) throw new UsageError(`--out ${JSON.stringify(out)}: the file name before .${bare[1]} is empty: give FILE.${bare[1]}`);
      const format = extname(out).toLowerCase() === '.md' ? 'md' : extname(out).toLowerCase() === '.html' ? 'html' : null;
      if (format === null) throw new UsageError(`--out must end in .md or .html, got ${JSON.stringify(out)}`);
      const { known, fromFiles } = variantsWithFiles(args);
      const named = (args.variants ?? []).map(String);
      const ids = idsWithFiles(named, fromFiles);
      if (ids.length === 0) throw new UsageError('name a variant to report on (see `apf-lab list`), or give --variant-file');
      const variants = variantsToCompare(ids, { baselines: true, known });
      const templates = new DocumentTemplates(templateDirectory(args.templates));
      templates.prepare(format, ['report']);
      if (format === 'md') templates.prepare('svg', ['bar-chart', 'line-chart']);
      const { scenario, seed, hooks } = resolveScenario(args, io, known);

      const recorders = new Map<string, FaultLifeRecorder>();
      const comparison = compareVariants(scenario, variants, {
        seed,
        ...hooks,
        trace: (v) => {
          const r = new FaultLifeRecorder(scenario.durationMs * 1e6 * TRACE_FROM);
          recorders.set(v.id, r);
          return r.sink;
        },
      });

      const stem = basename(out, extname(out));
      const chartFiles = format === 'md' ? { time: `${stem}.time.svg`, latency: `${stem}.latency.svg`, work: `${stem}.work.svg` } : null;
      const view = buildReportView({
        comparison,
        variants,
        lives: new Map([...recorders].map(([id, r]) => [id, r.life])),
        guestMemoryBytes: Math.round(scenario.machine.guestMemoryMiB * 1024 * 1024),
        version: labVersion(),
        command: commandLine(argv),
        chartFiles,
        checks: protocolChecks(variants),
      });
      const files: [string, string][] = [[out, templates.render(format, 'report', view)]];
      if (chartFiles) {
        const at = (f: string) => join(dirname(out), f);
        files.push([at(chartFiles.time), templates.render('svg', 'bar-chart', view.charts.time)]);
        // No fault completed: no latency file, where an empty chart was written (the report says why).
        if (view.charts.latency) files.push([at(chartFiles.latency), templates.render('svg', 'line-chart', view.charts.latency)]);
        files.push([at(chartFiles.work), templates.render('svg', 'line-chart', view.charts.work)]);
      }
      writeAll(files, 'the report', `--out ${out}`);
      // One line whatever the names hold, as errors are (a newline in --out split it).
      io.out(`wrote ${oneLine(files.map(([f]) => f).join(', '))}\n`);
    },
  };
}

function templateDirectory(given: string | undefined): string {
  if (given === undefined) return templatesDir();
  if (given === '') throw new UsageError('--templates needs a directory');
  const dir = resolve(given);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new BadInputError(`--templates ${given}: not a directory`);
  return dir;
}

/** The command as typed, quoted where a shell would need it, so that the report can be regenerated. */
export function commandLine(argv: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['apf-lab', ...argv.map(quote)].join(' ');
}
