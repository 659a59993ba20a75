import { DEFAULT_GROUP, FOOTPRINT_GROUPS, FOOTPRINT_RULES, ruleRegExp, type FootprintGroup, type FootprintRule } from './footprint-rules.js';
import type { PatchMessage } from './model.js';

/** A series' size, per file and per group of where the code runs (footprint-rules.ts). */
export interface FileFootprint {
  readonly path: string;
  readonly group: FootprintGroup;
  readonly added: number;
  readonly removed: number;
  readonly hunks: number;
}

export interface GroupFootprint {
  readonly group: FootprintGroup;
  readonly files: number;
  readonly added: number;
  readonly removed: number;
  readonly hunks: number;
  readonly paths: readonly FileFootprint[];
}

export interface Footprint {
  readonly files: number;
  readonly added: number;
  readonly removed: number;
  readonly hunks: number;
  readonly groups: readonly GroupFootprint[];
}

const compiled = FOOTPRINT_RULES.map((r) => ({ ...r, re: ruleRegExp(r.pattern) }));

export function groupOf(path: string, rules: readonly (FootprintRule & { re: RegExp })[] = compiled): FootprintGroup {
  return rules.find((r) => r.re.test(path))?.group ?? DEFAULT_GROUP;
}

/** Every file of the series once (a file patched twice adds up), in order of first appearance. */
export function footprint(messages: readonly PatchMessage[]): Footprint {
  const byPath = new Map<string, { added: number; removed: number; hunks: number }>();
  for (const f of messages.flatMap((m) => m.files)) {
    const acc = byPath.get(f.path) ?? { added: 0, removed: 0, hunks: 0 };
    byPath.set(f.path, { added: acc.added + f.added, removed: acc.removed + f.removed, hunks: acc.hunks + f.hunks.length });
  }
  const files: FileFootprint[] = [...byPath].map(([path, n]) => ({ path, group: groupOf(path), ...n }));
  const groups = FOOTPRINT_GROUPS.map((group) => {
    const paths = files.filter((f) => f.group === group);
    return { group, files: paths.length, ...sums(paths), paths };
  });
  return { files: files.length, ...sums(files), groups };
}

function sums(files: readonly FileFootprint[]): { added: number; removed: number; hunks: number } {
  return files.reduce((s, f) => ({ added: s.added + f.added, removed: s.removed + f.removed, hunks: s.hunks + f.hunks }), { added: 0, removed: 0, hunks: 0 });
}
