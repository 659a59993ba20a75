import { availableParallelism } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { BadInputError } from '../../core/errors.js';
import { allPoints, PART_FORMAT, planRuns, sweepDocument, type SweepPart, type SweepRun } from '../../core/sweep/document.js';
import { parseShard, pointCount, shardPoints, type Shard } from '../../core/sweep/grid.js';
import { MAX_PART_BYTES, mergeParts } from '../../core/sweep/merge.js';
import { plural } from '../../core/plural.js';
import { readCappedFile } from '../../core/read-capped.js';
import { UsageError, type Io } from '../io.js';
import { ALLOW_LARGE_OPTION, wholeFlag } from '../options.js';
import { renderText } from '../render.js';
import { pointScenarios, resolveSweep, type SweepArgs } from '../sweep/definition.js';
import { chartTemplates, checkInto, partFile, partFileName, SWEEP_FILES, sweepFiles, writeInto } from '../sweep/files.js';
import { labBuild } from '../sweep/build.js';
import { runPool, type PoolOptions } from '../sweep/pool.js';
import { SweepProgress } from '../sweep/progress.js';
import { partView, sweepView } from '../sweep/view.js';
import { variantFileOption } from '../variant-files.js';
import { usageLine } from './table.js';

interface SweepCommandArgs extends SweepArgs {
  jobs?: string;
  shard?: string;
  out?: string;
  json: boolean;
}

interface MergeArgs {
  parts?: string[];
  out?: string;
  json: boolean;
}

/**
 * `apf-lab sweep [FILE] --param NAME=SPEC … --variants A,B --seeds N [--out DIR]`: a scenario
 * over the cartesian product of parameter values × variants × seeds, the runs on worker threads
 * (cli/sweep/pool.ts). With --out, writes runs.csv, summary.csv, sweep.json and chart.svg;
 * `--shard i/n` runs one slice and writes its part, which `sweep merge` puts back together.
 * It runs on the main thread, which stays free while the workers compute: Ctrl-C stops them.
 */
export function sweepCommand(io: Io): CommandModule<object, object> {
  return {
    ...usageLine('sweep'),
    // Two subcommands, so that `sweep merge` takes none of the sweep's options and `sweep` none of merge's.
    builder: (y) => y.command(mergeCommand(io)).command(runSweepCommand(io)) as never,
    handler: () => {},
  };
}

function runSweepCommand(io: Io): CommandModule<object, SweepCommandArgs> {
  return {
    command: '$0 [file]',
    describe: 'run the sweep (a sweep file, or --param … --variants …)',
    builder: (y) => sweepOptions(variantFileOption(y)) as never,
    // Everything is checked before the handler returns its promise: yargs shows the right usage
    // for an error thrown then, and a confused one for a promise that rejects.
    handler: (args) => {
      const out = outDir(args.out);
      const shard = args.shard === undefined ? null : shardOf(args.shard);
      if (shard && out === null) throw new UsageError('--shard needs --out DIR, where its part file goes');
      if (out !== null) checkInto(out, shard ? [partFileName(shard)] : Object.values(SWEEP_FILES));
      const jobs = args.jobs === undefined ? availableParallelism() : wholeFlag('--jobs', args.jobs, 1024);
      const sweep = resolveSweep(args);
      const { def } = sweep;
      const points = shard ? shardPoints(pointCount(def.params), shard) : allPoints(def);
      // Every shard checks the whole grid (milliseconds), so that a mistake in any point stops each
      // slice of a batch job before it runs, not only the one that holds it.
      const scenarios = pointScenarios(sweep, allPoints(def), args.allowLarge);
      const templates = shard || out === null ? null : chartTemplates();
      const planned = planRuns(def, points);
      const build = labBuild();
      // The user's choice stands (the pool starts at most one worker per run); more workers than
      // cores only share them, each with its own heap: 64 on 2 cores took 12 times as long.
      const cores = availableParallelism();
      if (jobs > cores) io.err(`apf-lab: --jobs ${jobs} is more than the ${plural(cores, 'core')} here: the workers share them, so the sweep is no faster and takes more memory (the results are the same)\n`);
      const tasks = planned.map((r) => ({ ...scenarios.get(r.point)!, variant: r.variant, seed: r.seed }));

      return runWithProgress(tasks, jobs, sweep.variantFiles).then((outcomes) => {
        const runs: SweepRun[] = planned.map((r, i) => ({ ...r, ...outcomes[i] }));
        if (shard && out !== null) {
          const part: SweepPart = { format: PART_FORMAT, build, sweep: def, shard, points, runs };
          const file = partFile(part, out);
          writeInto(out, [file]);
          io.out(args.json ? file[1] : renderText('sweep', partView(def, runs, [file[0]])));
        } else {
          writeSweep(sweepDocument(def, runs, build), out, templates, args.json, io);
        }
      });
    },
  };
}

/** `apf-lab sweep merge PART… [--out DIR]`: the shards' parts into exactly what the unsharded sweep writes. */
function mergeCommand(io: Io): CommandModule<object, MergeArgs> {
  return {
    command: 'merge [parts..]',
    describe: 'combine the part files of a sharded sweep (--shard i/n) into the whole sweep',
    builder: (y) =>
      y
        .positional('parts', { type: 'string', array: true, describe: 'part files (part-I-of-N.json), one per shard' })
        .option('out', { alias: 'o', type: 'string', requiresArg: true, describe: 'directory for runs.csv, summary.csv, sweep.json, chart.svg' })
        .option('json', { type: 'boolean', default: false, describe: 'print sweep.json instead of the table' }) as never,
    handler: (args) => {
      const files = (args.parts ?? []).map(String);
      if (files.length === 0) throw new UsageError('name the part files to merge (written by apf-lab sweep --shard i/n --out DIR)');
      const out = outDir(args.out);
      const templates = out === null ? null : chartTemplates();
      const { sweep, runs, build } = mergeParts(files.map((file) => ({ file, data: readPart(file) })));
      writeSweep(sweepDocument(sweep, runs, build), out, templates, args.json, io);
    },
  };
}

function sweepOptions<T>(y: Argv<T>) {
  return y
    .positional('file', { type: 'string', describe: 'a sweep file (YAML): scenario, params, variants, seeds, metric, x; flags override it' })
    .option('param', {
      alias: 'p',
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'NAME=SPEC, repeatable: a scenario field by dotted path or a named knob, over a..b:log:N, a..b:lin:N, a..b or a,b,c',
    })
    .option('variants', { type: 'string', array: true, requiresArg: true, describe: 'variant ids, comma-separated (see `apf-lab list`); `sync` = each architecture\'s baseline' })
    .option('seeds', { type: 'string', requiresArg: true, describe: 'runs per point and variant, each with its own derived seed (default 1)' })
    .option('scenario', { alias: 's', type: 'string', requiresArg: true, describe: 'built-in scenario name or path to a scenario YAML file (default overcommit)' })
    .option('seed', { type: 'string', requiresArg: true, describe: 'the base seed the runs\' seeds derive from (default: the scenario\'s)' })
    .option('duration-ms', { type: 'string', requiresArg: true, describe: 'the simulated duration of every run, instead of the scenario\'s durationMs' })
    .option('metric', { type: 'string', requiresArg: true, describe: 'the metric the chart and table show (default work)' })
    .option('x', { type: 'string', requiresArg: true, describe: 'the parameter on the chart\'s x axis (default the first)' })
    .option('jobs', { alias: 'j', type: 'string', requiresArg: true, describe: 'worker threads (default: one per core); results do not depend on it' })
    .option('shard', { type: 'string', requiresArg: true, describe: 'run slice i of n (i/n, from 1) and write its part into --out' })
    .option('out', { alias: 'o', type: 'string', requiresArg: true, describe: 'directory for runs.csv, summary.csv, sweep.json, chart.svg' })
    .option('json', { type: 'boolean', default: false, describe: 'print sweep.json instead of the table' })
    .option('allow-large', ALLOW_LARGE_OPTION);
}

/**
 * The runs on the pool with a progress bar on a terminal, and Ctrl-C: the first press stops every
 * worker and nothing is written (the pool rejects with InterruptedError; exit 130).
 */
async function runWithProgress(tasks: Parameters<typeof runPool>[0], jobs: number, variantFiles: PoolOptions['variantFiles']) {
  const progress = new SweepProgress(tasks.length, process.stderr);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await runPool(tasks, { jobs, variantFiles, signal: abort.signal, onDone: (done) => progress.update(done) });
  } finally {
    process.off('SIGINT', onSigint);
    progress.clear();
  }
}

/** The whole sweep's output, the same from a sweep and from a merge of its shards. */
function writeSweep(doc: ReturnType<typeof sweepDocument>, out: string | null, templates: ReturnType<typeof chartTemplates> | null, json: boolean, io: Io): void {
  const files = out !== null && templates ? sweepFiles(doc, out, templates) : [];
  if (out !== null) writeInto(out, files);
  io.out(json ? `${JSON.stringify(doc, null, 2)}\n` : renderText('sweep', sweepView(doc, files.map(([f]) => f))));
}

function outDir(given: string | undefined): string | null {
  if (given === undefined) return null;
  if (given === '') throw new UsageError('--out needs a directory');
  return given;
}

function shardOf(text: string): Shard {
  try {
    return parseShard(text);
  } catch (e) {
    if (e instanceof BadInputError) throw new UsageError(`--shard: ${e.message}`);
    throw e;
  }
}


function readPart(file: string): unknown {
  const text = readCappedFile(file, MAX_PART_BYTES, 'a sweep part (JSON)').toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`${file}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
}
