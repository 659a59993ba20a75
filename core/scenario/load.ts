import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CST, isNode, isScalar, Lexer, parseDocument, Parser, visit, type Document } from 'yaml';
import { caseHint } from '../case-hint.js';
import { checkOverrideKeys, checkScenarioBounds, type KnownOverrides } from './bounds.js';
import { tasksAtOnce } from './task-load.js';
import { ScenarioError } from './error.js';
import { describeIssue } from './issue-message.js';
import { checkVmEvents } from './vm-events.js';
import { HARD, PAGES_PER_MIB } from './limits.js';
import { readCapped } from './read.js';
import { scenarioSchema, type Scenario, type TaskSpec } from './schema.js';

export { ScenarioError } from './error.js';
export type { KnownOverrides } from './bounds.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Built-in scenarios ship in the package's top-level scenarios/ (two levels up from dist/core/scenario). */
export function builtinScenarioDir(): string {
  for (const up of ['../../scenarios', '../../../scenarios']) {
    const dir = resolve(here, up);
    if (existsSync(dir)) return dir;
  }
  return resolve(here, '../../scenarios');
}

export const DEFAULT_SCENARIO = 'overcommit';

export interface LoadOptions {
  /**
   * The architectures and keys `costs` and `arch` may name, from the registered variants. Core
   * cannot know them (it never imports arches/); without them only the shape of those maps is checked.
   */
  readonly known?: KnownOverrides;
}

/** The file a built-in name ("overcommit") or a path to a YAML file names. */
export function scenarioFile(nameOrFile: string): string {
  const isPath = /[/\\]|\.ya?ml$/.test(nameOrFile);
  return isPath ? nameOrFile : join(builtinScenarioDir(), `${nameOrFile}.yaml`);
}

/** Resolves a built-in name ("overcommit") or a path to a YAML file, and validates it. */
export function loadScenario(nameOrFile: string = DEFAULT_SCENARIO, options: LoadOptions = {}): Scenario {
  const builtin = join(builtinScenarioDir(), `${nameOrFile}.yaml`);
  const file = scenarioFile(nameOrFile);
  if (file === builtin && !existsSync(file)) {
    const builtins = `built-ins: ${listBuiltinScenarios().join(', ')}`;
    // A file of that name here is what the user most likely meant, but a bare name is never read as a path.
    if (existsSync(nameOrFile)) {
      throw new ScenarioError(nameOrFile, '', `taken as a built-in scenario name, since it has no "/" and does not end in .yaml, and there is no such built-in (${builtins}); for the file, give ./${nameOrFile}`);
    }
    const hint = caseHint([nameOrFile], listBuiltinScenarios(), 'scenario names are case-sensitive');
    throw new ScenarioError(nameOrFile, '', `no such scenario file or built-in name${hint} (${builtins})`);
  }
  const shown = file === builtin ? `scenarios/${basename(file)}` : file;
  return parseScenario(readCapped(file, shown, HARD.fileBytes), shown, options);
}

export function listBuiltinScenarios(): string[] {
  const dir = builtinScenarioDir();
  if (!existsSync(dir)) return [];
  return readdirNames(dir);
}

function readdirNames(dir: string): string[] {
  // Sorted so that `list` output never depends on the file system's order.
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** What messages call scenario text given without a file name (the library's JavaScript callers may leave it out). */
const UNNAMED = '(scenario text)';

/** Parses and validates scenario text; `file` is only used in messages. */
export function parseScenario(text: string, file: string = UNNAMED, options: LoadOptions = {}): Scenario {
  const label = typeof file === 'string' ? file : UNNAMED;
  if (typeof text !== 'string') throw new ScenarioError(label, '', `scenario text must be a string, got ${text === null ? 'null' : typeof text}`);
  const raw = parseYaml(text, label);
  checkOverrideKeys(raw, label, options.known);
  return validateScenario(raw, label);
}

/**
 * Validates a scenario given as data (what the library's runVariant() receives): the same schema,
 * references and bounds as a file, so a hand-built object is bad input, never a crash or a hang.
 */
export function validateScenario(raw: unknown, file: string): Scenario {
  const parsed = scenarioSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const { path, message } = describeIssue(parsed.error.issues[0], raw);
    throw new ScenarioError(file, fieldPath(path), message);
  }
  checkReferences(parsed.data, file);
  checkScenarioBounds(parsed.data, file);
  return normalise(parsed.data);
}

/** YAML to plain data; syntax errors, undefined aliases and alias bombs are bad input with a line. */
/** YAML text to plain data, with its line on a syntax error and a cap on alias expansion (a variant file's too). */
export function parseYaml(text: string, file: string): unknown {
  if (text.includes('\0')) throw new ScenarioError(file, '', 'not a text file (it contains NUL bytes)');
  checkNesting(text, file);
  // The yaml package's own duplicate-key check is quadratic (a 300 KB file of keys takes minutes):
  // it is off, and checkUniqueKeys() does the same in linear time.
  const doc = parseDocument(text, { prettyErrors: true, logLevel: 'error', uniqueKeys: false });
  if (doc.errors.length === 0) checkUniqueKeys(doc, text, file);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    const what = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    // The yaml package's advice is to a programmer ("please use YAML.parseAllDocuments()").
    if (/multiple documents/.test(what)) throw new ScenarioError(file, where, 'more than one YAML document (a `---` line starts one, a `...` line ends one): one per file');
    throw new ScenarioError(file, where, `YAML syntax: ${what}`);
  }
  try {
    // A billion-laughs file expands a few lines into gigabytes: cap the aliases it may resolve.
    // The yaml package refuses at its limit itself, so one more lets exactly the documented 100 through.
    return doc.toJS({ maxAliasCount: HARD.yamlAliases + 1 });
  } catch (e) {
    const what = e instanceof Error ? e.message : String(e);
    if (/alias count/i.test(what)) throw new ScenarioError(file, '', `YAML aliases expand too far (more than ${HARD.yamlAliases} alias resolutions): refused as a resource-exhaustion attempt`);
    throw new ScenarioError(file, '', `YAML: ${what.split('\n')[0]}`);
  }
}

/**
 * Refuses YAML nested deeper than the lab reads (README "Limits"), before the reader recurses into
 * it; the same file is then refused the same way on any thread, at its line. First one lazy pass
 * of the yaml package's lexer, which stops at the first proof of depth: flow collections open at
 * once, and block sequences or explicit keys opened on one line (`- - - x`), are real levels.
 * Where it cannot rule depth out, the exact count on the concrete syntax tree decides
 * (nestingOnCst()): a block node at column c is at most 2(c + 1) deep (each column holds a mapping
 * and a sequence at most), so a file indented less than 32 columns never needs it. A megabyte of
 * `[` was refused after 65 tokens, where the tree took 2.9 s and a gigabyte to build.
 */
function checkNesting(text: string, file: string): void {
  const cap = HARD.yamlDepth;
  const refuse = (at: number): never => {
    throw new ScenarioError(file, `line ${text.slice(0, at).split('\n').length}`, `YAML mappings and sequences nested more than ${cap} deep: deeper than a scenario needs`);
  };
  let offset = 0;
  let column = 0;
  let flow = 0;
  let flowColumn = 0;
  let compact = 0;
  let lineStart = true;
  let exact = false;
  for (const token of new Lexer().lex(text)) {
    // The lexer's markers (document, scalar, flow end) take no room in the text.
    if (token.length === 1 && token < ' ' && token !== '\n' && token !== '\t') continue;
    const type = CST.tokenType(token);
    if (type === 'flow-seq-start' || type === 'flow-map-start') {
      if (flow === 0) flowColumn = column;
      if (++flow > cap) refuse(offset);
    } else if ((type === 'flow-seq-end' || type === 'flow-map-end') && flow > 0) flow--;
    else if (flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind') && lineStart) {
      if (++compact > cap) refuse(offset);
    } else if (type !== 'space') lineStart = false;
    if (type === 'seq-item-ind' || type === 'explicit-key-ind' || type === 'map-value-ind' || type === 'flow-seq-start' || type === 'flow-map-start') {
      if (2 * ((flow > 0 ? flowColumn : column) + 1) + flow > cap) exact = true;
    }
    offset += token.length;
    const nl = token.lastIndexOf('\n');
    if (nl >= 0) {
      column = token.length - nl - 1;
      lineStart = true;
      compact = 0;
    } else column += token.length;
  }
  if (exact) nestingOnCst(text, refuse);
}

/** The depth of mappings and sequences in the concrete syntax tree, walked with a stack of its own. */
function nestingOnCst(text: string, refuse: (offset: number) => never): void {
  const pending: { node: CstNode; depth: number }[] = [];
  for (const token of new Parser().parse(text)) pending.push({ node: token as CstNode, depth: 0 });
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node } = next;
    const depth = COLLECTIONS.has(node.type) ? next.depth + 1 : next.depth;
    if (depth > HARD.yamlDepth) refuse(node.offset ?? 0);
    for (const child of [node.value, ...(node.items ?? []).flatMap((i) => [i.key, i.value])]) {
      if (child && typeof child === 'object') pending.push({ node: child, depth });
    }
  }
}

/** What checkNesting() reads of a CST token: its kind, where it starts, and what it holds. */
interface CstNode {
  readonly type: string;
  readonly offset?: number;
  readonly value?: CstNode | null;
  readonly items?: readonly { readonly key?: CstNode | null; readonly value?: CstNode | null }[];
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** A key twice in one mapping is a YAML error ("Map keys must be unique"), reported with its line. */
function checkUniqueKeys(doc: Document, text: string, file: string): void {
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(k)) {
          const at = isNode(pair.key) && pair.key.range ? pair.key.range[0] : 0;
          const line = text.slice(0, at).split('\n').length;
          throw new ScenarioError(file, `line ${line}`, `YAML syntax: map keys must be unique ("${k}" twice)`);
        }
        seen.add(k);
      }
    },
  });
}

/** Free-form maps come back in the file's key order; sort them so results never depend on it. */
function normalise(s: Scenario): Scenario {
  const sortRecord = <T>(r: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
  return {
    ...s,
    costs: Object.fromEntries(Object.keys(s.costs).sort().map((k) => [k, sortRecord(s.costs[k])])),
    arch: Object.fromEntries(Object.keys(s.arch).sort().map((k) => [k, sortRecord(s.arch[k])])),
  };
}

function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

/** Fixed work: a task with passes, or a job set with a total. */
function fixedWork(t: TaskSpec): boolean {
  return t.jobs ? t.jobs.total !== undefined : t.passes !== undefined;
}

/** Why a task never ends, for a message. */
function noEnd(t: TaskSpec): string {
  return t.jobs ? 'is a job set with no jobs.total: it never finishes' : 'has no passes: it never exits';
}

/** Cross-field rules the schema cannot express: names must resolve and memory must fit. */
function checkReferences(s: Scenario, file: string): void {
  const regionNames = new Set<string>();
  s.regions.forEach((r, i) => {
    if (regionNames.has(r.name)) throw new ScenarioError(file, `regions[${i}].name`, `duplicate region "${r.name}"`);
    regionNames.add(r.name);
  });
  const totalMiB = s.regions.reduce((sum, r) => sum + r.mib, 0);
  if (totalMiB > s.machine.guestMemoryMiB) {
    throw new ScenarioError(file, 'regions', `regions need ${totalMiB} MiB but machine.guestMemoryMiB is ${s.machine.guestMemoryMiB}`);
  }
  // The memory of the processes alive at once must fit in the guest's free pages and the page cache
  // its reclaim may drop (core/guest/page-cache.ts); no guest OOM is modelled. A process's written
  // files join the cache only when it exits, so they count here as its own memory.
  const pages = (mib: number) => Math.max(1, Math.round(mib * PAGES_PER_MIB));
  const regionPages = s.regions.reduce((n, r) => n + (r.pageCache ? 0 : pages(r.mib)), 0);
  const ownPages = s.tasks.reduce((n, t) => n + tasksAtOnce(t) * t.memory.reduce((m, a) => m + pages(a.mib), 0), 0);
  if (ownPages > 0 && regionPages + ownPages > Math.round(s.machine.guestMemoryMiB * PAGES_PER_MIB)) {
    throw new ScenarioError(file, 'tasks', `the tasks' own memory (${ownPages / PAGES_PER_MIB} MiB for the processes alive at once) and the regions (${regionPages / PAGES_PER_MIB} MiB) do not fit in machine.guestMemoryMiB ${s.machine.guestMemoryMiB}`);
  }
  if (s.machine.hostResidentMiB > s.machine.guestMemoryMiB) {
    throw new ScenarioError(file, 'machine.hostResidentMiB', 'larger than machine.guestMemoryMiB: nothing would ever be swapped');
  }
  // A page that came over the link stays (facts/arm64.md §7, v4 postcopy: no limit); evicting it
  // would need a swap device the postcopy backing does not describe.
  if (s.backing.kind === 'postcopy' && s.machine.hostResidentMiB !== s.machine.guestMemoryMiB) {
    throw new ScenarioError(file, 'machine.hostResidentMiB', `backing postcopy takes no host limit: set it to machine.guestMemoryMiB (${s.machine.guestMemoryMiB})`);
  }
  // onSwapShare puts pages on the host's swap; a post-copy destination has none (its pages are on the source).
  const onSwap = s.regions.findIndex((r) => r.onSwapShare !== undefined);
  if (s.backing.kind === 'postcopy' && onSwap >= 0) {
    throw new ScenarioError(file, `regions[${onSwap}].onSwapShare`, 'backing postcopy has no host swap for these pages: a page not yet migrated is on the source (backing.dirtyShare)');
  }
  if (s.events) checkVmEvents(file, s);
  // A task group is addressed by name (metrics.tasks.<name>, sweep's tasks.<name>.count, until,
  // experiment rows): two groups of one name would be merged in the results and half-addressed.
  const groups = new Set<string>();
  s.tasks.forEach((t, i) => {
    if (groups.has(t.name)) throw new ScenarioError(file, `tasks[${i}].name`, `duplicate task "${t.name}"`);
    groups.add(t.name);
  });
  const cacheNames = new Set(s.regions.filter((r) => r.pageCache).map((r) => r.name));
  s.experiment?.rows.forEach((row, i) => {
    const field = `experiment.rows[${i}].group`;
    if (row.metric === 'work') return;
    if (row.group === undefined) throw new ScenarioError(file, field, `metric ${row.metric} needs the task group it measures`);
    if (!groups.has(row.group)) throw new ScenarioError(file, field, `unknown task "${row.group}" (known: ${[...groups].join(', ')})`);
    if (row.metric === 'time' && s.tasks.some((t) => t.name === row.group && !fixedWork(t))) {
      throw new ScenarioError(file, field, `metric time needs fixed work: task "${row.group}" ${noEnd(s.tasks.find((t) => t.name === row.group)!)}`);
    }
  });
  s.until?.tasks.forEach((name, i) => {
    if (!groups.has(name)) throw new ScenarioError(file, `until.tasks[${i}]`, `unknown task "${name}" (known: ${[...groups].join(', ')})`);
    const t = s.tasks.find((x) => x.name === name && !fixedWork(x));
    if (t) throw new ScenarioError(file, `until.tasks[${i}]`, `task "${name}" ${noEnd(t)}, so the run could only end at durationMs`);
  });
  s.tasks.forEach((t, ti) => {
    if (t.vcpu !== undefined && t.vcpu >= s.machine.vcpus) {
      throw new ScenarioError(file, `tasks[${ti}].vcpu`, `vCPU ${t.vcpu} does not exist (machine.vcpus is ${s.machine.vcpus})`);
    }
    if (t.jobs && t.count !== 1) throw new ScenarioError(file, `tasks[${ti}].count`, 'a job set runs jobs.concurrent processes at once: leave count out');
    const own = new Set<string>();
    const files = new Set<string>();
    t.memory.forEach((a, ai) => {
      if (regionNames.has(a.name) || own.has(a.name)) throw new ScenarioError(file, `tasks[${ti}].memory[${ai}].name`, `"${a.name}" is already a region or another of the task's memory`);
      own.add(a.name);
      if (a.kind === 'file') files.add(a.name);
    });
    t.program.forEach((step, si) => {
      const section = 'irqoff' in step ? step.irqoff : 'preemptoff' in step ? step.preemptoff : undefined;
      const touch = 'touch' in step ? step.touch : 'syscall' in step ? step.syscall : section?.touch;
      const kind = Object.keys(step)[0];
      const field = section ? `tasks[${ti}].program[${si}].${kind}.touch.region` : `tasks[${ti}].program[${si}].${kind}.region`;
      if (touch && !regionNames.has(touch.region) && !own.has(touch.region)) {
        throw new ScenarioError(file, field, `unknown region "${touch.region}" (known: ${[...regionNames, ...own].join(', ')})`);
      }
      // A first touch of a process's memory is a page fault that may sleep (do_anonymous_page() allocates).
      if (touch && section && own.has(touch.region)) {
        throw new ScenarioError(file, field, `the task's own memory "${touch.region}" faults in on first touch, which may sleep: not inside ${kind}`);
      }
      // Written files are written by write() (mm/filemap.c); stores through a shared file mapping are not modelled.
      if (touch && files.has(touch.region) && kind !== 'syscall') {
        throw new ScenarioError(file, field, `"${touch.region}" is a file the task writes (kind: file): only a syscall step (write()) touches it, not ${kind}`);
      }
      // The guest's reclaim may give a cached page's frame to another page at any time.
      if (touch && cacheNames.has(touch.region)) {
        throw new ScenarioError(file, field, `region "${touch.region}" is page cache the guest may reclaim (pageCache: true): no step may touch it`);
      }
      if ('ipi' in step && typeof step.ipi.target === 'number' && step.ipi.target >= s.machine.vcpus) {
        throw new ScenarioError(file, `tasks[${ti}].program[${si}].ipi.target`, `vCPU ${step.ipi.target} does not exist (machine.vcpus is ${s.machine.vcpus})`);
      }
    });
  });
}
