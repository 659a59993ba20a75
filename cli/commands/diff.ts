import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { traceFaults } from '../../core/fault-trace.js';
import { UsageError, type Io } from '../io.js';
import { givenOnCommandLine, resolveScenario, scenarioOptions, type ScenarioArgs } from '../options.js';
import { renderText } from '../render.js';
import { variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { faultTraceText, mechanismSheetText, unifiedDiff, type DiffWhat } from '../views/diff.js';
import { guestMemoryBytes } from './show.js';
import { missingLine, usageLine } from './table.js';

interface DiffArgs extends ScenarioArgs, VariantFileArgs {
  a?: string;
  b?: string;
  what: DiffWhat;
  faults?: string;
}

const MAX_FAULTS = 100;

/**
 * `apf-lab diff <a> <b>`: a unified diff of two variants' mechanism sheets (`--what mechanisms`),
 * or of the tracepoints of the same faults when both run one scenario and seed (`--what trace`).
 */
export function diffCommand(io: Io, argv: readonly string[] = []): CommandModule<object, DiffArgs> {
  return {
    ...usageLine('diff'),
    builder: (y) =>
      variantFileOption(scenarioOptions(y))
        .positional('a', { type: 'string', demandOption: true, describe: 'variant id, the old side (see `apf-lab list`)' })
        .positional('b', { type: 'string', demandOption: true, describe: 'variant id, the new side' })
        .option('what', {
          type: 'string',
          choices: ['mechanisms', 'trace'],
          // A bare `--what` ran as mechanisms: it needs its word.
          requiresArg: true,
          default: 'mechanisms',
          describe: 'the `show` sheets, or the trace of the same faults (--scenario, --seed and --faults apply to it)',
        })
        // A string, parsed here, as --seed is.
        // No default here, so that a --faults without --what trace is seen (it was ignored).
        .option('faults', { type: 'string', requiresArg: true, defaultDescription: '3', describe: `faults to follow with --what trace: the first N of <a> (1–${MAX_FAULTS})` }) as never,
    handler: (args) => {
      if (!args.a || !args.b) throw new UsageError(missingLine('diff'));
      const { known } = variantsWithFiles(args);
      const [a, b] = [findVariant(String(args.a), known), findVariant(String(args.b), known)];
      const what = args.what;
      let aText: string;
      let bText: string;
      let note: string;
      let traces: object | null = null;
      let run: { scenario: string; seed: number } | null = null;
      let bStarts = false;
      // The run's options mean nothing to the sheets: given there, they were ignored (a missing file too).
      const runOption = ['faults', 'scenario', 's', 'seed', 'allow-large'].find((o) => givenOnCommandLine(argv, o));
      if (what !== 'trace' && runOption !== undefined) throw new UsageError(`${runOption === 's' ? '-s/--scenario' : `--${runOption}`} applies to --what trace only`);
      if (what === 'trace') {
        const count = parseFaults(args.faults ?? '3');
        const { scenario, seed, hooks } = resolveScenario(args, io, known);
        const ta = traceFaults(scenario, a, { seed, count, ...hooks });
        const tb = traceFaults(scenario, b, { seed, gfns: ta.faults.map((f) => f.gfn), ...hooks });
        [aText, bText] = [faultTraceText(ta), faultTraceText(tb)];
        traces = { a: ta, b: tb };
        // Nothing of <a> to follow: whether <b> has any decides what to suggest.
        if (ta.faults.length === 0) bStarts = traceFaults(scenario, b, { seed, count: 1, ...hooks }).faults.length > 0;
        run = { scenario: scenario.name, seed };
        note =
          `the first ${count} async page fault${count === 1 ? '' : 's'} of ${a.id} and the first fault on the same gfns in ${b.id} ` +
          `(scenario ${scenario.name}, seed ${seed}): tracepoints in time order, each fault's token as <token>; times in --json`;
      } else {
        const memory = guestMemoryBytes();
        [aText, bText] = [mechanismSheetText(a, memory), mechanismSheetText(b, memory)];
        note = 'their sheets as `apf-lab show` prints them, each variant\'s own id as <id>';
      }
      const d = unifiedDiff(a.id, b.id, aText, bText);
      if (args.json) {
        io.out(`${JSON.stringify({ a: a.id, b: b.id, what, ...(run ?? {}), patch: d.patch, hunks: d.hunks, ...(traces ? { traces } : {}) }, null, 2)}\n`);
        return;
      }
      // A first variant that starts no asynchronous fault (a baseline) leaves nothing to follow: say so, not "no differences".
      const nothing = traces !== null && (traces as { a: { faults: unknown[] } }).a.faults.length === 0;
      const none = bStarts
        ? `${a.id} starts no asynchronous page fault in this run: nothing to follow (name it second: apf-lab diff ${b.id} ${a.id} --what trace)`
        : `neither ${a.id} nor ${b.id} starts an asynchronous page fault in this run: nothing to follow`;
      const empty = nothing ? `${none}\n` : 'no differences\n';
      io.out(renderText('diff', { title: `apf-lab diff ${a.id} ${b.id} --what ${what}: ${note}`, body: d.patch === '' ? empty : d.patch }));
    },
  };
}

function parseFaults(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_FAULTS)) throw new UsageError(`--faults must be an integer from 1 to ${MAX_FAULTS}, got ${JSON.stringify(text)}`);
  return n;
}
