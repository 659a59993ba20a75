import type { CommandModule } from 'yargs';
import { findVariant } from '../../arches/registry.js';
import { CHECK_DEFAULTS, CHECK_LIMITS, checkVariant } from '../../core/check/walk.js';
import { FAULT_CONTEXTS, type FaultContext } from '../../core/check/steps.js';
import { EXIT_CHECK_FOUND, ExitWith, UsageError, type Io } from '../io.js';
import { wholeFlag } from '../options.js';
import { renderText } from '../render.js';
import { buildCheckView } from '../views/check.js';
import { count, plural } from '../views/format.js';
import { variantFileOption, variantsWithFiles, type VariantFileArgs } from '../variant-files.js';
import { missingLine, usageLine } from './table.js';

interface CheckArgs extends VariantFileArgs {
  variant?: string;
  vcpus?: string;
  pages?: string;
  depth?: string;
  contexts?: string;
  migrate: boolean;
  hotplug: boolean;
  maxOrders?: string;
  json: boolean;
}

/**
 * `apf-lab check <variant>`: DESIGN.md's exhaustive interleavings (core/check/walk.ts). Exit 0 when
 * nothing is wrong within the bounds, 4 when an order breaks something (the report is printed).
 */
export function checkCommand(io: Io): CommandModule<object, CheckArgs> {
  return {
    ...usageLine('check'),
    builder: (y) =>
      variantFileOption(y)
        .positional('variant', { type: 'string', demandOption: true, describe: 'variant id (see `apf-lab list`)' })
        .option('vcpus', { type: 'string', requiresArg: true, describe: `vCPUs, two tasks on each (default ${CHECK_DEFAULTS.vcpus}, at most ${CHECK_LIMITS.vcpus})` })
        .option('pages', { type: 'string', requiresArg: true, describe: `host-missing pages the tasks touch (default ${CHECK_DEFAULTS.pages}, at most ${CHECK_LIMITS.pages})` })
        .option('depth', { type: 'string', requiresArg: true, describe: `steps in an order (default ${CHECK_DEFAULTS.depth}, at most ${CHECK_LIMITS.depth})` })
        .option('contexts', { type: 'string', requiresArg: true, describe: `where faults happen, comma-separated (default ${FAULT_CONTEXTS.join(',')})` })
        .option('max-orders', { type: 'string', requiresArg: true, describe: `stop after this many orders (default ${count(CHECK_DEFAULTS.maxOrders)}); the report then says it is not exhaustive, and up to which length it is` })
        .option('migrate', { type: 'boolean', default: false, describe: 'let a live migration\'s switchover happen once, anywhere in an order (README "Scenarios", events)' })
        .option('hotplug', { type: 'boolean', default: false, describe: 'let the guest take a CPU other than 0 offline once, anywhere in an order, and online again once after (README "Scenarios", events); 2 vCPUs unless --vcpus says more' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
    handler: (args) => {
      if (args.variant === undefined || args.variant === '') throw new UsageError(missingLine('check'));
      const variant = findVariant(String(args.variant), variantsWithFiles(args).known);
      const bounds = {
        vcpus: vcpusOf(args),
        pages: args.pages === undefined ? CHECK_DEFAULTS.pages : wholeFlag('--pages', args.pages, CHECK_LIMITS.pages),
        depth: args.depth === undefined ? CHECK_DEFAULTS.depth : wholeFlag('--depth', args.depth, CHECK_LIMITS.depth),
        contexts: contextsOf(args.contexts),
        // Only when asked, so that a walk without it reports the bounds it always did.
        ...(args.migrate ? { migrate: true } : {}),
        ...(args.hotplug ? { hotplug: true } : {}),
      };
      const maxOrders = args.maxOrders === undefined ? CHECK_DEFAULTS.maxOrders : wholeFlag('--max-orders', args.maxOrders, CHECK_LIMITS.maxOrders);
      const result = checkVariant(variant, bounds, maxOrders, {
        signal: io.signal,
        onProgress: (orders, level) => io.status?.(`apf-lab: check ${variant.id}: ${count(orders)} of at most ${count(maxOrders)} orders judged, now those of ${plural(level, 'step')}; Ctrl-C stops`),
      });
      io.out(args.json ? `${JSON.stringify(result, null, 2)}\n` : renderText('check', buildCheckView(result)));
      if (result.findings.length > 0) throw new ExitWith(EXIT_CHECK_FOUND);
    },
  };
}

/** A hotplug walk needs a CPU besides CPU 0, which cannot go offline: 2 unless asked for more. */
function vcpusOf(args: CheckArgs): number {
  if (args.vcpus === undefined) return args.hotplug ? 2 : CHECK_DEFAULTS.vcpus;
  const n = wholeFlag('--vcpus', args.vcpus, CHECK_LIMITS.vcpus);
  if (args.hotplug && n < 2) throw new UsageError('--hotplug needs --vcpus 2 or more: CPU 0 cannot go offline');
  return n;
}

function contextsOf(text: string | undefined): FaultContext[] {
  if (text === undefined) return [...CHECK_DEFAULTS.contexts];
  const names = String(text).split(',').map((s) => s.trim());
  const bad = names.find((n) => !(FAULT_CONTEXTS as readonly string[]).includes(n));
  if (bad !== undefined) throw new UsageError(`--contexts takes ${FAULT_CONTEXTS.join(', ')} (comma-separated), got ${JSON.stringify(bad)}`);
  // Each once, in the walk's own order: the same walk however they were listed.
  return FAULT_CONTEXTS.filter((c) => names.includes(c));
}
