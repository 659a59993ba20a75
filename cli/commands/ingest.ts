import type { CommandModule } from 'yargs';
import { TOKEN_LAYOUTS } from '../../arches/token.js';
import { ingestCaptureFile } from '../../core/ingest/ingest.js';
import { UsageError, type Io } from '../io.js';
import { renderText } from '../render.js';
import { buildIngestView } from '../views/ingest.js';
import { COMMANDS, usageLine } from './table.js';

interface IngestArgs {
  file?: string;
  json: boolean;
}

/**
 * `apf-lab ingest <file>`: a real host's ftrace capture (the `trace` file, or `trace-cmd report`)
 * of Linux's async-PF tracepoints, read back: the faults rebuilt, their durations, a swap latency
 * for a scenario, the token layout, KVM's invariants checked.
 */
export function ingestCommand(io: Io): CommandModule<object, IngestArgs> {
  return {
    ...usageLine('ingest'),
    builder: (y) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'the capture as text: a copy of /sys/kernel/tracing/trace, or what `trace-cmd report` prints (/dev/stdin for a pipe)' })
        .option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
    handler: (args) => {
      const file = args.file === undefined ? '' : String(args.file);
      if (file === '') throw new UsageError(COMMANDS.ingest.missing!);
      const report = ingestCaptureFile(file, TOKEN_LAYOUTS);
      io.out(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderText('ingest', buildIngestView(report)));
    },
  };
}
