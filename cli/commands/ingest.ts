import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { INGEST_FACTS } from '../../arches/ingest-facts.js';
import type { ApfTraceEvent } from '../../core/ingest/capture.js';
import { ingestCaptureFile, ingestEvents } from '../../core/ingest/ingest.js';
import type { IngestReport } from '../../core/ingest/summary.js';
import { captureTrace } from '../../core/trace-capture.js';
import { UsageError, type Io } from '../io.js';
import { givenOnCommandLine, resolveScenario, scenarioOptions, type ScenarioArgs } from '../options.js';
import { renderText } from '../render.js';
import { buildIngestView, type LabSide } from '../views/ingest.js';
import { emitter } from '../views/trace.js';
import { COMMANDS, usageLine } from './table.js';

interface IngestArgs extends ScenarioArgs {
  file?: string;
  vs?: string;
}

/**
 * `apf-lab ingest <file>`: a real host's ftrace capture (the `trace` file, or `trace-cmd report`)
 * of Linux's async-PF tracepoints, read back: the faults rebuilt, their durations, a swap latency
 * for a scenario, the token layout, KVM's invariants checked. With --vs, the lab's run of a variant
 * measured by the same code, side by side.
 */
export function ingestCommand(io: Io, argv: readonly string[]): CommandModule<object, IngestArgs> {
  return {
    ...usageLine('ingest'),
    builder: (y) =>
      scenarioOptions(y)
        .positional('file', { type: 'string', demandOption: true, describe: 'the capture as text: a copy of /sys/kernel/tracing/trace, or what `trace-cmd report` prints (/dev/stdin for a pipe)' })
        .option('vs', { type: 'string', requiresArg: true, describe: "also trace this variant on the scenario (-s, --seed) and show the lab's figures next to the capture's" }) as never,
    handler: (args) => {
      const file = args.file === undefined ? '' : String(args.file);
      if (file === '') throw new UsageError(COMMANDS.ingest.missing!);
      // Every spelling yargs reads as these options: `--no-seed`, `--s=f`, `--scenario.x` too.
      if (args.vs === undefined && ['s', 'scenario', 'seed', 'allow-large'].some((o) => givenOnCommandLine(argv, o))) {
        throw new UsageError('-s/--scenario, --seed and --allow-large choose the lab run that --vs compares with: name a variant with --vs');
      }
      if (args.vs === '') throw new UsageError('--vs needs a variant (see `apf-lab list`)');
      const report = ingestCaptureFile(file, INGEST_FACTS);
      const lab = args.vs === undefined ? null : labSide(args);
      if (args.json) io.out(`${JSON.stringify(lab === null ? report : { ...report, lab }, null, 2)}\n`);
      else io.out(renderText('ingest', buildIngestView(report, lab)));
    },
  };
}

/**
 * The lab's trace of the variant as `apf-lab trace` prints it, read by the same code: the host's
 * thread names (cli/views/trace.ts) and stamps in whole µs, as the ftrace `trace` file has them.
 */
function labSide(args: IngestArgs): LabSide {
  const variant = findVariant(String(args.vs));
  const { scenario, seed, hooks } = resolveScenario(args);
  const capture = captureTrace(scenario, variant, { seed, ...hooks });
  const events: ApfTraceEvent[] = capture.events.map((e, i) => {
    const { comm, pid } = emitter(e);
    return { line: i + 1, pid, task: comm, timeNs: Math.floor(e.timeNs / 1000) * 1000, event: e.event, fields: e.fields };
  });
  const report: IngestReport = ingestEvents(`${variant.id} on ${scenario.name}`, events, INGEST_FACTS);
  return { variant: variant.id, scenario: scenario.name, seed, cutAtMaxEvents: capture.cutAtMaxEvents, report };
}
