import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { BadInputError } from '../../core/errors.js';
import { systemReason } from '../../core/read-capped.js';
import { readTextFile } from '../../core/text-file.js';
import { inertHtml } from './inert-html.js';
import { oneLine } from '../io.js';

/**
 * The Handlebars environments of the design report (STYLE.md §5): one per output format, strict,
 * known helpers only. Markdown (and the Mermaid in it) is not escaped, with small helpers per
 * context instead; HTML and SVG escape. SVG partials (the charts, the sequence diagrams) are
 * registered in the HTML environment too, so the page inlines them.
 *
 * Templates come from a templates/ directory: the lab's own, or a user's copy (--templates DIR).
 * A template that is missing or fails names itself in one line (a BadInputError: exit 1).
 */
export type DocFormat = 'md' | 'html' | 'svg';

/**
 * A helper of one value. Called with none ({{mdCell}}), Handlebars passes only its options object,
 * which was written as "[object Object]" and the report made all the same (exit 0).
 */
function oneValue(name: string, f: (s: string) => string): Handlebars.HelperDelegate {
  return (...args: unknown[]) => {
    if (args.length !== 2) throw new Error(`${name} takes one value ({{${name} x}}), got ${args.length - 1}`);
    return f(String(args[0]));
  };
}

const HELPERS: Record<DocFormat, Record<string, Handlebars.HelperDelegate>> = {
  md: {
    /** A Markdown table cell: no pipe or newline may end it early. */
    mdCell: oneValue('mdCell', (s) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')),
    /** The user's (or the lab's) plain text, shown as written: no link, emphasis or entity in it is taken for one. */
    mdText: oneValue('mdText', mdText),
    /** An inline code span of any text: a backtick in a command line ended the span early. */
    mdCode: oneValue('mdCode', mdCode),
    /** A link's destination: a space or a parenthesis in a file name ended `](…)` early. */
    mdUrl: oneValue('mdUrl', mdUrl),
    /** Text inside a Mermaid message or note: `#` and `;` start entities and statements there. */
    mmd: oneValue('mmd', (s) => s.replace(/[#;]/g, (c) => (c === '#' ? '#35;' : '#59;')).replace(/\r?\n/g, ' ')),
  },
  html: {},
  svg: {},
};

/** The lab's largest template is 3 KiB; a copy under --templates is the user's, and may name anything. */
export const MAX_TEMPLATE_BYTES = 1024 * 1024;

const OPTIONS = { strict: true, knownHelpersOnly: true, explicitPartialContext: true, preventIndent: true } as const;

export class DocumentTemplates {
  private readonly envs = new Map<DocFormat, typeof Handlebars>();
  private readonly compiled = new Map<string, HandlebarsTemplateDelegate>();

  constructor(readonly dir: string) {}

  /** Loads and compiles templates now, so that a missing or broken one is reported before any run. */
  prepare(format: DocFormat, names: readonly string[]): void {
    for (const name of names) {
      const file = `${format}/${name}.${format}.hbs`;
      try {
        this.template(format, name, file);
      } catch (e) {
        if (e instanceof BadInputError) throw e;
        throw new BadInputError(`template ${file} (in ${this.dir}): ${firstLine(e)}`);
      }
    }
  }

  /** Renders `<dir>/<format>/<name>.<format>.hbs` with a plain view-model. */
  render(format: DocFormat, name: string, view: object): string {
    const file = `${format}/${name}.${format}.hbs`;
    try {
      const text = this.template(format, name, file)(view);
      return format === 'md' ? inertHtml(text) : text;
    } catch (e) {
      if (e instanceof BadInputError) throw e;
      // An error inside a partial carries the partial's line: name the partial, not this template.
      if (e instanceof PartialError) throw new BadInputError(`template ${e.file} (in ${this.dir}, a partial of ${file}): ${firstLine(e.cause)}`);
      throw new BadInputError(`template ${file} (in ${this.dir}): ${firstLine(e instanceof BlockError ? e.cause : e)}`);
    }
  }

  private template(format: DocFormat, name: string, file: string): HandlebarsTemplateDelegate {
    const hit = this.compiled.get(file);
    if (hit) return hit;
    const t = this.env(format).compile(this.read(file), compileOptions(format));
    this.compiled.set(file, t);
    return t;
  }

  /**
   * A template's text, from a regular file (a link to one is followed) of at most
   * MAX_TEMPLATE_BYTES: a link to /dev/zero among a copy's partials was read whole, and the
   * process aborted (std::bad_alloc, exit 134).
   */
  private read(file: string): string {
    const path = join(this.dir, file);
    const fail = (why: string): never => {
      throw new BadInputError(`template ${file} (in ${this.dir}): ${why}`);
    };
    let stats;
    try {
      stats = statSync(path, { throwIfNoEntry: false });
    } catch (e) {
      fail(systemReason(e));
    }
    if (!stats) throw new BadInputError(`template ${file} not found in ${this.dir}`);
    if (!stats.isFile()) fail(`not a regular file (${stats.isDirectory() ? 'a directory' : 'a device, pipe or socket'})`);
    return readTextFile(path, MAX_TEMPLATE_BYTES, 'a template').text;
  }

  private env(format: DocFormat): typeof Handlebars {
    const hit = this.envs.get(format);
    if (hit) return hit;
    const hb = Handlebars.create();
    for (const [name, fn] of Object.entries(HELPERS[format])) hb.registerHelper(name, fn);
    this.registerPartials(hb, format, format);
    if (format === 'html') this.registerPartials(hb, 'svg', format);
    this.envs.set(format, hb);
    return hb;
  }

  /**
   * Every partial of a format, parsed now so that a broken one is named by its file, and compiled
   * with the options of the environment `into` that inlines it. A partial registered as text is
   * run as part of its caller, whose file an error then named with the partial's line; each runs
   * as a function of its own that names its file.
   */
  private registerPartials(hb: typeof Handlebars, format: DocFormat, into: DocFormat): void {
    const dir = join(this.dir, format, 'partials');
    if (!existsSync(dir)) return;
    const suffix = `.${format}.hbs`;
    for (const f of readdirSync(dir).sort()) {
      if (!f.endsWith(suffix)) continue;
      const file = `${format}/partials/${f}`;
      const src = this.read(file);
      try {
        Handlebars.parse(src);
      } catch (e) {
        throw new BadInputError(`template ${file} (in ${this.dir}): ${firstLine(e)}`);
      }
      const partial = hb.compile(src, compileOptions(into));
      hb.registerPartial(f.slice(0, -suffix.length), ((context: unknown, options?: Handlebars.RuntimeOptions) => {
        // The block of {{#> name}}…{{/name}} is its caller's text, with its caller's lines: an error
        // in it was named as this partial's. It is passed on, marked, to the caller's handler.
        const data = options?.data as Record<string, unknown> | undefined;
        const block = data?.['partial-block'];
        const owner = {};
        if (typeof block === 'function') {
          data!['partial-block'] = (...args: unknown[]) => {
            try {
              return (block as (...a: unknown[]) => unknown)(...args);
            } catch (e) {
              throw e instanceof PartialError || e instanceof BadInputError || e instanceof BlockError ? e : new BlockError(e, owner);
            }
          };
        }
        try {
          return partial(context, options);
        } catch (e) {
          if (e instanceof BlockError && e.owner === owner) throw e;
          throw e instanceof PartialError || e instanceof BadInputError ? e : new PartialError(file, e instanceof BlockError ? e.cause : e);
        }
      }) as Handlebars.Template);
    }
  }
}

function compileOptions(format: DocFormat): CompileOptions {
  return {
    ...OPTIONS,
    noEscape: format === 'md',
    knownHelpers: Object.fromEntries(Object.keys(HELPERS[format]).map((k) => [k, true])),
  };
}

/** An error raised in the block of a block partial: its caller's, to be named by the caller's handler. */
class BlockError extends Error {
  constructor(
    override readonly cause: unknown,
    /** The call of the partial that ran the block, which passes it on; its caller names it. */
    readonly owner: object,
  ) {
    super(firstLine(cause));
  }
}

/** An error raised inside a partial, with the partial's file: the innermost partial keeps it. */
class PartialError extends Error {
  constructor(
    readonly file: string,
    override readonly cause: unknown,
  ) {
    super(firstLine(cause));
  }
}

function firstLine(e: unknown): string {
  // Strict mode names the context it looked in as text: "not defined in [object Object]".
  const text = (e instanceof Error ? e.message : String(e)).replace(/( not defined) in (\[object \w+\]|undefined|null)/, '$1');
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !/^-*\^$/.test(l)).join(' ');
}

/**
 * Text that renders as written in CommonMark and GFM, also in a table cell: the characters that
 * start a link, emphasis, code, an entity, an HTML tag or a strikethrough are escaped (a finding's
 * cite `[click](javascript:…)` was a link), and a `- `, `+ `, `1. ` or `===` that would begin a
 * list or an underline at the start of a line ("1.00×" is left as it is). `<` and `&` are written as entities: inertHtml() would
 * rewrite a `\<` to `\&lt;`, which shows as "&lt;". A control character is shown escaped, as in
 * the CLI's one-line errors, since a newline would end a cell or a list item.
 */
export function mdText(text: string): string {
  return oneLine(text)
    .replace(/[\\`*[\]#!|~>]/g, '\\$&')
    // `_` between two letters or digits starts no emphasis (EPT_VIOLATION is left as it is).
    .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
    .replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'))
    .replace(/^(?:[-+](?=[ \t]|$)|[-=](?=[-= \t]*$)|\d{1,9}(?=[.)](?:[ \t]|$)))/, (m) => (/\d/.test(m) ? `${m}\\` : `\\${m}`));
}

/**
 * CommonMark's code span: its fence is a run of backticks longer than any in the text, and a text
 * that starts or ends with a backtick or a space is padded with one space each side, which the
 * renderer takes off again.
 */
export function mdCode(text: string): string {
  text = oneLine(text);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A relative file name as a URL path: percent-encoded, `/` kept. */
export function mdUrl(path: string): string {
  return path
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}
