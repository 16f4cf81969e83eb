/**
 * Handlebars renders the bulk, regular output (id tables, docs, file headers); code
 * whose shape depends on attribute kinds is built by the kind renderers instead.
 * Values reach templates only through helpers that print them as literals.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const hb = Handlebars.create();

hb.registerHelper('hex', (n: unknown) => {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new Error(`hex helper: not an integer: ${String(n)}`);
  return n >= 0x1000 ? `0x${n.toString(16)}` : String(n);
});
/** Doc text on one line, safe inside a comment or a Markdown table cell. */
hb.registerHelper('oneLine', (s: unknown) => oneLine(String(s ?? '')));

export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').replace(/\*\//g, '*\\/').replace(/\|/g, '\\|').trim();
}

const dir = fileURLToPath(new URL('../templates/', import.meta.url));
const cache = new Map<string, HandlebarsTemplateDelegate>();

function template(name: string): HandlebarsTemplateDelegate {
  let t = cache.get(name);
  if (!t) {
    t = hb.compile(readFileSync(`${dir}${name}.hbs`, 'utf8'), { noEscape: true, strict: true });
    cache.set(name, t);
  }
  return t;
}

hb.registerPartial('header', readFileSync(`${dir}header.hbs`, 'utf8'));

export function render(name: string, data: object): string {
  return template(name)(data);
}

/** The provenance header of a generated TypeScript file, with an optional file doc. */
export function header(sources: string, doc?: string): string {
  return render('header', { sources, doc: doc ?? '' });
}
