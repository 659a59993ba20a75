import { describe, expect, it } from 'vitest';
import { plainUsage } from '../../cli/io.js';
import { cliInProcess as cli } from '../support/cli-in-process.js';

const SWEEP = ['sweep', '--param', 'backing.latency.us=1', '--variants', 'x86'];

describe('usage errors name an option as it is typed, on one line (hostile-test bug 12)', () => {
  it.each([
    // Each printed "--s", "--j", "--x" before: the short name with two dashes.
    [['run', 'x86', '-s', 'overcommit', '--scenario', 'overcommit'], '-s/--scenario was given more than once'],
    [['run', 'x86', '--scenario', 'overcommit', '-s', 'overcommit'], '-s/--scenario was given more than once'],
    [[...SWEEP, '-j', '1', '--jobs', '2'], '-j/--jobs was given more than once'],
    [[...SWEEP, '-x', 'a', '-x', 'b'], '-x was given more than once'],
    [['run', 'x86', '--seed', '1', '--seed', '2'], '--seed was given more than once'],
    [[...SWEEP, '--duration-ms', '1', '--duration-ms', '2'], '--duration-ms was given more than once'],
    // It printed "Invalid values:\n  Argument: what, …" with a literal \n.
    [['diff', 'x86', 'arm64-sdei', '--what', 'bogus'], '--what must be one of mechanisms, trace, got "bogus"'],
    // yargs strips a negation: "Unknown argument: baseline", an option report does not have (compare has).
    [['report', 'x86', '--out', 'r.md', '--no-baseline'], 'Unknown argument: --no-baseline'],
    [['run', 'x86', '-q', 'q', '--frob=1'], 'Unknown arguments: -q, --frob'],
    // It said "Unknown argument: frob".
    [['frob'], 'unknown command frob (commands: list, show, run, compare, reproduce, diff, trace, report, sweep, patch, ingest, check)'],
    [['frob', 'x86', '--json'], 'unknown command frob (commands: list, show, run, compare, reproduce, diff, trace, report, sweep, patch, ingest, check)'],
    // It said only "name a command" for a mistyped --version.
    [['--versio'], 'name a command (commands: list, show, run, compare, reproduce, diff, trace, report, sweep, patch, ingest, check); --versio is not an option of apf-lab itself (those are --help and --version)'],
    // `patch -` said "name variants and options directly"; then it did not say where standard input is (README: `ingest /dev/stdin`).
    [['patch', '-'], '"-" is not accepted: name the variants or files directly (a file on standard input is /dev/stdin)'],
    [['ingest', '-'], '"-" is not accepted: name the variants or files directly (a file on standard input is /dev/stdin)'],
    // yargs named a dashed option twice: "Unknown arguments: --foo-bar, fooBar".
    [['compare', 'x86', '--foo-bar'], 'Unknown argument: --foo-bar'],
    [['run', 'x86', '--foo-bar', '--frob'], 'Unknown arguments: --foo-bar, --frob'],
    [['run', 'x86', '--foo-Bar'], 'Unknown argument: --foo-Bar'],
    [['run', 'x86', '--FOO-BAR'], 'Unknown argument: --FOO-BAR'],
    // `--json=true` and `--json=false` are read; any other value is refused, and the message says both.
    [['run', 'x86', '--json=1'], '--json takes no value (or true or false), got "--json=1"'],
    // yargs said "Unknown argument: --no-json".
    [['compare', 'x86', '--no-json=true'], '--no-json takes no value, got "--no-json=true"'],
    // yargs's dot notation made `-s./a.yaml` an object: "[object Object]: no such scenario" (exit 1).
    [['run', 'x86', '-s./a.yaml'], '-s/--scenario takes one value, not fields (a value that starts with a dot goes after a space)'],
    [['run', 'x86', '--no-scenario'], '-s/--scenario needs a value (--no-scenario is not one)'],
    // Hostile round I: these reached the commands as false or as an object (internal errors, exit 3, or
    // "unknown variant \"false\"", exit 1).
    [['report', 'x86', '--out', 'r.html', '--no-templates'], '--templates needs a value (--no-templates is not one)'],
    [['report', 'x86', '--out', 'r.html', '--templates.x', 'foo'], '--templates takes one value, not fields (a value that starts with a dot goes after a space)'],
    [[...SWEEP, '--no-shard'], '--shard needs a value (--no-shard is not one)'],
    [[...SWEEP, '--shard.x', '1/2'], '--shard takes one value, not fields (a value that starts with a dot goes after a space)'],
    [[...SWEEP, '--no-out'], '-o/--out needs a value (--no-out is not one)'],
    [['sweep', '--no-variants', '--param', 'machine.hz=250'], '--variants needs a value (--no-variants is not one)'],
    [['run', 'x86', '--variant-file.x', 'a'], '--variant-file takes one value, not fields (a value that starts with a dot goes after a space)'],
    [['compare', '--no-variant-file', 'x86'], '--variant-file needs a value (--no-variant-file is not one)'],
    [['report', 'x86', '--out', 'r.html', '--no-out'], '-o/--out needs a value (--no-out is not one)'],
    [['compare', 'x86', '--baseline.x', '1'], '--baseline is a flag: it has no fields'],
    [['run', 'x86', '--json.x'], '--json is a flag: it has no fields'],
    // Hostile round K: a bare --what ran as mechanisms.
    [['diff', 'x86', 'sync-x86', '--what'], '--what needs a value'],
    // It said "apf-lab: : no such scenario file or built-in name" (exit 1).
    [['reproduce', ''], 'an experiment name is empty (name a built-in experiment or a scenario file)'],
  ])('%j → %s (exit 2)', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`apf-lab: ${message}`);
    expect(r.out).toBe('');
  });

  it('a flag given a value shows the command\'s usage after the message, as other usage errors do (it showed two blank lines)', async () => {
    const r = await cli('run', 'x86', '--json=1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^apf-lab: --json takes no value \(or true or false\), got "--json=1"\n\napf-lab run <variant>/);
  });

  it('--help with a bad flag value shows the help once, on stdout, exit 0 (it printed it twice, once on each stream, exit 2)', async () => {
    for (const argv of [['run', 'x86', '--help', '--json=yes'], ['sweep', '-h', '--json=x'], ['run', '-h', '-'], ['run', 'x86', '--help=true', '--json=yes'], ['run', 'x86', '-hs', 'x', '--json=yes']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.err).toBe('');
      expect(r.out.match(/^apf-lab (run|sweep)/gm), argv.join(' ')).toHaveLength(1);
    }
  });

  it('--help with a value other than true is no help to yargs, so the flags are still checked (--help=1 let --json=yes through as false)', async () => {
    for (const help of ['--help=1', '--help=yes', '--help=']) {
      const r = await cli('run', 'x86', '--json=yes', help);
      expect(r.code, help).toBe(2);
      expect(r.err.split('\n')[0]).toBe('apf-lab: --json takes no value (or true or false), got "--json=yes"');
    }
  });

  it('a -h after -- is no help: "--" is still refused (it turned the checks off and the command ran)', async () => {
    const r = await cli('run', 'x86', '--', '-h');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('apf-lab: "--" is not accepted: name variants and options directly');
    expect(r.out).toBe('');
  });

  it('any other message of yargs over several lines is put on one', () => {
    expect(plainUsage('Implications failed:\n  a -> b')).toBe('Implications failed: a -> b');
    expect(plainUsage('Not enough arguments following: x')).toBe('-x needs a value');
  });
});
