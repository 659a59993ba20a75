import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { median } from './measure.mjs';

/**
 * The cold command line: the package's bin run as a user runs it, next to a bare `node -e 0`,
 * taken in turns (one of each per round) so that a load on the machine falls on all of them
 * alike; the median wall time of each over the rounds.
 */
export function coldCli(rounds) {
  const bin = JSON.parse(readFileSync('package.json', 'utf8')).bin['apf-lab'];
  const commands = {
    'node -e 0': ['-e', '0'],
    [`${bin} --help`]: [bin, '--help'],
    [`${bin} compare x86 arm64-sdei`]: [bin, 'compare', 'x86', 'arm64-sdei'],
  };
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, args] of Object.entries(commands)) {
      const t0 = performance.now();
      const p = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (p.status !== 0) throw new Error(`${name} exited ${p.status}: ${p.stderr}`);
      times[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, ms]) => [k, { medianMs: Math.round(median(ms)), runs: ms.length }]));
}
