import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { count } from '../../core/plural.js';
import { captureTrace, DEFAULT_MAX_EVENTS, type TraceCapture } from '../../core/trace-capture.js';
import { UsageError, writeOut, type Io } from '../io.js';
import { jsonPieces } from '../json-pieces.js';
import { msFlag, resolveScenario, scenarioOptions, wholeFlag, type ScenarioArgs } from '../options.js';
import { renderText } from '../render.js';
import { variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { BLOCK_EVENTS, lineBlocks, traceHeadView } from '../views/trace.js';
import { chromeTraceJson } from '../views/trace-timeline.js';
import { writeAll } from '../write-files.js';
import { missingLine, usageLine } from './table.js';

interface TraceArgs extends ScenarioArgs, VariantFileArgs {
  variant?: string;
  fromMs?: string;
  toMs?: string;
  vcpu?: string;
  lab: boolean;
  maxEvents?: string;
  perfetto?: string;
}

/**
 * `apf-lab trace <variant>`: the run's async page fault tracepoints as the host's ftrace would
 * print them (DESIGN.md "Outputs"), and with --perfetto a Chrome/Perfetto JSON timeline of them.
 */
export function traceCommand(io: Io): CommandModule<object, TraceArgs> {
  return {
    ...usageLine('trace'),
    builder: (y) =>
      variantFileOption(scenarioOptions(y))
        .positional('variant', { type: 'string', demandOption: true, describe: 'variant id (see `apf-lab list`)' })
        .option('from-ms', { type: 'string', requiresArg: true, describe: 'start of the window, in simulated ms (default 0)' })
        .option('to-ms', { type: 'string', requiresArg: true, describe: 'end of the window, in simulated ms (default: the end of the run); the run stops there' })
        .option('vcpu', { type: 'string', requiresArg: true, describe: 'only these vCPUs, comma-separated (e.g. 0,2)' })
        .option('lab', { type: 'boolean', default: false, describe: "add the lab's own events (apf_lab_*, and the arch backends' steps that Linux does not trace)" })
        .option('max-events', { type: 'string', requiresArg: true, describe: `stop the window when this many events are kept (default ${count(DEFAULT_MAX_EVENTS)})` })
        .option('perfetto', { type: 'string', requiresArg: true, describe: 'also write a Chrome/Perfetto JSON timeline to this file (open it in ui.perfetto.dev)' }) as never,
    handler: (args) => {
      if (args.variant === undefined || args.variant === '') throw new UsageError(missingLine('trace'));
      const { known } = variantsWithFiles(args);
      const variant = findVariant(String(args.variant), known);
      const { scenario, seed, hooks } = resolveScenario(args, io, known);
      const fromNs = windowFlag('from-ms', args.fromMs) ?? 0;
      const toNs = windowFlag('to-ms', args.toMs);
      if (toNs !== null && toNs < fromNs) throw new UsageError(`--to-ms (${args.toMs}) is before --from-ms (${args.fromMs})`);
      const vcpus = vcpuFlag(args.vcpu, scenario.machine.vcpus);
      const maxEvents = args.maxEvents === undefined ? null : wholeFlag('--max-events', args.maxEvents);
      if (args.perfetto === '') throw new UsageError('--perfetto needs a file name');
      const capture = captureTrace(scenario, variant, { seed, fromNs, toNs: toNs ?? undefined, vcpus: vcpus ?? undefined, lab: args.lab, maxEvents: maxEvents ?? undefined, ...hooks });
      if (args.perfetto !== undefined) writeAll([[args.perfetto, chromeTraceJson(capture, scenario.name, seed)]], 'the timeline', `--perfetto ${args.perfetto}`);
      // The output is made piece by piece as it is written (cli/process.ts sendOutput()): a
      // million-event capture is about 100 MB of text and 170 MB of JSON, never held whole.
      if (args.json) {
        const { result: _result, ...rest } = capture;
        writeOut(io, withNewline(jsonPieces({ scenario: scenario.name, seed, ...rest }, 'events', BLOCK_EVENTS)));
      } else {
        writeOut(io, tracePieces(capture, scenario.name, seed, scenario.machine.vcpus, args.lab));
      }
    },
  };
}

/** The trace text: the template's header, then the lines a block at a time (traceHeadView()). */
function* tracePieces(capture: TraceCapture, scenario: string, seed: number, vcpus: number, lab: boolean): Generator<string> {
  yield renderText('trace', traceHeadView(capture, scenario, seed, vcpus, lab));
  for (const block of lineBlocks(capture.events)) yield `${block}\n`;
}

function* withNewline(pieces: Iterable<string>): Generator<string> {
  yield* pieces;
  yield '\n';
}

/** A time in ms as whole ns; the window may reach past the run, but not past exact integer time. */
function windowFlag(name: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  return Math.round(msFlag(`--${name}`, text, { zero: true, max: { ms: Math.floor(Number.MAX_SAFE_INTEGER / 1e6), why: 'the exact range of integer-nanosecond time' } }) * 1e6);
}

function vcpuFlag(given: string | undefined, count: number): number[] | null {
  if (given === undefined) return null;
  const ids = String(given).split(',').map((s) => s.trim());
  for (const id of ids) {
    if (!/^\d+$/.test(id) || Number(id) >= count) throw new UsageError(`--vcpu must name vCPUs 0 to ${count - 1} of the scenario, got ${JSON.stringify(id)}`);
  }
  return [...new Set(ids.map(Number))].sort((a, b) => a - b);
}

