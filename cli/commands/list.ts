import type { CommandModule } from 'yargs';
import { VARIANTS } from '../../arches/registry.js';
import { listBuiltinScenarios } from '../../core/scenario/load.js';
import { loadForCli } from '../options.js';
import type { Io } from '../io.js';
import { renderText } from '../render.js';
import { scenarioHeader } from '../views/compare.js';

/** `apf-lab list`: variants with their mechanisms, and the built-in scenarios. */
export function listCommand(io: Io): CommandModule<object, { json: boolean }> {
  return {
    command: 'list',
    describe: 'list variants, their mechanisms, and built-in scenarios',
    builder: (y) => y.option('json', { type: 'boolean', default: false, describe: 'print JSON' }) as never,
    handler: (args) => {
      const variants = VARIANTS.map((v) => ({
        id: v.id,
        arch: v.arch,
        title: v.title,
        origin: v.origin,
        mechanisms: Object.entries(v.mechanisms).map(([k, m]) => ({ dimension: k, mechanism: m })),
      }));
      const scenarios = listBuiltinScenarios().map((name) => {
        const s = loadForCli(name);
        return { name, lines: scenarioHeader(s, s.seed) };
      });
      if (args.json) {
        io.out(`${JSON.stringify({ variants: VARIANTS.map((v) => ({ id: v.id, arch: v.arch, title: v.title, origin: v.origin, mechanisms: v.mechanisms })), scenarios: scenarios.map((s) => s.name) }, null, 2)}\n`);
        return;
      }
      io.out(renderText('list', { variants, scenarios }));
    },
  };
}
