import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { oneLine } from './io.js';

/**
 * The Handlebars environment for terminal text (STYLE.md §5): its own instance, strict,
 * known helpers only, no HTML escaping (this is not HTML), partials from templates/text/partials.
 */
const here = dirname(fileURLToPath(import.meta.url));

export function templatesDir(): string {
  for (const up of ['../templates', '../../templates']) {
    const dir = resolve(here, up);
    if (existsSync(dir)) return dir;
  }
  throw new Error('templates/ not found next to the CLI');
}

const HELPERS = {
  padEnd: (s: unknown, n: number) => String(s).padEnd(n),
  padStart: (s: unknown, n: number) => String(s).padStart(n),
};

let textEnv: typeof Handlebars | null = null;

function env(): typeof Handlebars {
  if (textEnv) return textEnv;
  const hb = Handlebars.create();
  for (const [name, fn] of Object.entries(HELPERS)) hb.registerHelper(name, fn);
  const partials = join(templatesDir(), 'text', 'partials');
  if (existsSync(partials)) {
    for (const f of readdirSync(partials).sort()) {
      if (f.endsWith('.text.hbs')) hb.registerPartial(f.replace(/\.text\.hbs$/, ''), readFileSync(join(partials, f), 'utf8'));
    }
  }
  textEnv = hb;
  return hb;
}

const cache = new Map<string, HandlebarsTemplateDelegate>();

/**
 * Views whose strings hold lines the lab wrote (a diff of two rendered sheets, ftrace lines): they
 * are made safe where they are built, and their newlines are the document's own.
 */
const MULTI_LINE = new Set(['diff', 'trace']);

/**
 * Every string of a view, with its control characters escaped as errors show them (oneLine()): a
 * variant file's title, a patch's path or subject, a finding is the user's text, and an escape
 * sequence or a newline in it must not act on the terminal or pass for a line of the lab's own.
 * The templates write the newlines.
 */
function terminalSafe(value: unknown): unknown {
  if (typeof value === 'string') return oneLine(value);
  if (Array.isArray(value)) return value.map(terminalSafe);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, terminalSafe(v)]));
  return value;
}

/** Renders templates/text/<name>.text.hbs with a plain view-model. */
export function renderText(name: string, view: object): string {
  let t = cache.get(name);
  if (!t) {
    const src = readFileSync(join(templatesDir(), 'text', `${name}.text.hbs`), 'utf8');
    t = env().compile(src, {
      strict: true,
      knownHelpers: Object.fromEntries(Object.keys(HELPERS).map((k) => [k, true])),
      knownHelpersOnly: true,
      explicitPartialContext: true,
      preventIndent: true,
      noEscape: true,
    });
    cache.set(name, t);
  }
  return t(MULTI_LINE.has(name) ? view : terminalSafe(view));
}
