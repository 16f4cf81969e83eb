/**
 * The user side of each action: the caller's input and output types, an encoder that
 * writes header and attributes into a reusable IoctlBuffer exactly as rdma-core lays
 * them out, a decoder of the request (what the kernel reads) and a decoder of the
 * outputs (what the kernel wrote back). One file per type.
 */
import { renderers } from '../kinds/index.js';
import { fixedLen } from '../kinds/ptr-out.js';
import type { ActionModel, AttrModel, DriverModel, TypeModel } from '../model.js';
import { headerWords } from '../kinds/attr-words.js';
import { codegenImport, docComment, ident } from './ts.js';
import { initName } from '../kinds/values.js';

const RUNTIME_IMPORTS = [
  'IoctlBuffer', 'UserPtr', 'alignUp8', 'attrAt', 'attrDataS32', 'attrElemAt', 'attrFlagsAt', 'attrIdAt', 'attrLenAt', 'attrPtr',
  'isUserPtr', 'mandatoryFlag', 'numAttrs', 'payload',
];

/** The PascalCase prefix of an action's generated names: `CqCreate` of CqCreateIn, encodeCqCreate, ... */
export function actionPrefix(a: ActionModel): string {
  return ident(a.tsName.charAt(0).toUpperCase() + a.tsName.slice(1));
}

export function typeFileName(t: TypeModel): string {
  return `actions/${t.name.toLowerCase()}.ts`;
}

const structNamesOf = new WeakMap<DriverModel, Map<string, number>>();

/** What a driver's structs export (type, Init type, encoder, decoder), each with its place in the struct order; made once per driver. */
function structNames(d: DriverModel): Map<string, number> {
  let names = structNamesOf.get(d);
  if (!names) {
    names = new Map();
    for (const s of d.structs) {
      for (const n of [s.tsName, initName(s), `encode${s.tsName}`, `decode${s.tsName}`]) if (!names.has(n)) names.set(n, names.size);
    }
    structNamesOf.set(d, names);
  }
  return names;
}

export function emitTypeActions(d: DriverModel, t: TypeModel): string {
  const body = t.actions.map((a) => emitAction(d, t, a)).join('\n\n');
  const code = body.replace(/\/\*\*[\s\S]*?\*\//g, '');
  // Every identifier of the code, once: testing each candidate import against the code
  // instead made generation quadratic in the size of a driver (structs x type files).
  const identifiers = new Set(code.match(/[A-Za-z_$][\w$]*/g));
  const used = (name: string): boolean => identifiers.has(name);
  const runtime = RUNTIME_IMPORTS.filter(used);
  const codec = ['copyBytes', 'readArray'].filter(used);
  const order = structNames(d);
  const structs = [...identifiers].filter((n) => order.has(n)).sort((x, y) => order.get(x)! - order.get(y)!);
  const imports = [
    codegenImport([
      ...runtime.filter((n) => n !== 'IoctlBuffer'),
      ...codec,
      ...(used('UVERBS_ATTR_F_VALID_OUTPUT') ? ['UVERBS_ATTR_F_VALID_OUTPUT'] : []),
      ...(runtime.includes('IoctlBuffer') ? ['type IoctlBuffer'] : []),
    ]),
  ];
  if (structs.length) {
    const types = structs.filter((n) => !n.startsWith('encode') && !n.startsWith('decode'));
    const fns = structs.filter((n) => n.startsWith('encode') || n.startsWith('decode'));
    imports.push(`import { ${[...fns, ...types.map((n) => `type ${n}`)].join(', ')} } from '../structs.js';`);
  }
  imports.push(`import { DRIVER_ID } from '../ids.js';`);
  return `${imports.join('\n')}\n\n${body}\n`;
}

const inputs = (a: ActionModel): AttrModel[] => a.attributes.filter((x) => renderers[x.kind].inType(x) !== undefined);
const outputs = (a: ActionModel): AttrModel[] => a.attributes.filter((x) => renderers[x.kind].outType(x) !== undefined);

/** Always sent: a mandatory attribute whose input is required or that needs none. */
function alwaysSent(x: AttrModel): boolean {
  const r = renderers[x.kind];
  return x.mandatory && (r.inType(x) === undefined || r.inRequired(x) || x.kind === 'ptr_out');
}

/** An optional output of fixed size: sent unless the caller gives false. */
function sentByDefault(x: AttrModel): boolean {
  return x.kind === 'ptr_out' && !x.mandatory && fixedLen(x) !== undefined;
}

function attrDoc(x: AttrModel): string {
  return `${x.cName} (${x.id >= 0x1000 ? '0x' + x.id.toString(16) : x.id}), ${renderers[x.kind].describe(x)}${x.mandatory ? ', mandatory' : ''}: ${x.doc}`;
}

function emitAction(d: DriverModel, t: TypeModel, a: ActionModel): string {
  const P = actionPrefix(a);
  const what = `${t.name}.${a.name}`;
  const out: string[] = [];

  out.push(docComment(`Input of ${what} (${a.cName}): ${a.doc}`));
  out.push(`export interface ${P}In {`);
  for (const x of inputs(a)) {
    const r = renderers[x.kind];
    out.push(docComment(attrDoc(x), '  '));
    out.push(`  ${ident(x.tsName)}${r.inRequired(x) ? '' : '?'}: ${r.inType(x)};`);
  }
  out.push('}');

  out.push(docComment(`Outputs of ${what}: what the kernel wrote back.`));
  out.push(`export interface ${P}Out {`);
  for (const x of outputs(a)) {
    out.push(docComment(attrDoc(x), '  '));
    out.push(`  ${ident(x.tsName)}${x.mandatory ? '' : '?'}: ${renderers[x.kind].outType(x)};`);
  }
  out.push('}');

  out.push(docComment(`Names of ${what}'s attributes, for marking inputs optional (MANDATORY cleared) when encoding.`));
  out.push(`export type ${P}AttrName = ${a.attributes.map((x) => JSON.stringify(x.name)).join(' | ') || 'never'};`);

  out.push(emitEncoder(d, t, a, P, what));
  out.push(emitDecodeIn(a, P, what));
  out.push(emitDecodeOut(a, P, what));
  return out.join('\n');
}

function emitEncoder(_d: DriverModel, t: TypeModel, a: ActionModel, P: string, what: string): string {
  const always = a.encodeOrder.filter(alwaysSent);
  const pass1: string[] = [`let n = ${always.length};`, 'let extra = 0;'];
  const pass2: string[] = [];
  // Until the first attribute that may be left out, every attribute's offset is known:
  // those are written at constant offsets, the rest at a running `at`.
  let fixedAt: number | undefined = 24;
  for (const x of a.encodeOrder) {
    const r = renderers[x.kind];
    const given = r.inType(x) !== undefined;
    // An output always sent gets room in the buffer unless the caller gave a UserPtr.
    const input = alwaysSent(x) && x.kind === 'ptr_out' && !r.inRequired(x) ? `input.${x.tsName} ?? true` : `input.${x.tsName}`;
    const bind = given ? `const x = ${input};\n` : '';
    const size = given ? r.size(x, 'x') : '';
    const fields = `${bind}const f = optional === undefined ? 1 : mandatoryFlag(optional, ${JSON.stringify(x.name)});\n${r.encode(x, 'x')}`;
    const write = `${fields}\nat += 16;`;
    if (alwaysSent(x) && fixedAt !== undefined) {
      if (size) pass1.push(`{\n${bind}${size}\n}`);
      pass2.push(`{\nconst at = ${fixedAt};\n${fields}\n}`);
      fixedAt += 16;
      continue;
    }
    if (fixedAt !== undefined) {
      pass2.push(`let at = ${fixedAt};`);
      fixedAt = undefined;
    }
    if (alwaysSent(x)) {
      if (size) pass1.push(`{\n${bind}${size}\n}`);
      pass2.push(`{\n${write}\n}`);
    } else if (sentByDefault(x)) {
      const x0 = `const x = input.${x.tsName} ?? true;\n`;
      pass1.push(`{\n${x0}if (x !== false) {\nn++;\n${size}\n}\n}`);
      pass2.push(`{\n${x0}if (x !== false) {\n${write.slice(bind.length)}\n}\n}`);
    } else {
      pass1.push(`if (${input} !== undefined) {\nn++;${size ? `\n${bind}${size}` : ''}\n}`);
      pass2.push(`if (${input} !== undefined) {\n${write}\n}`);
    }
  }
  return `${docComment(`Encodes ${what} into \`buf\` as rdma-core lays it out: header, attributes (${a.encodeOrder.map((x) => x.name).join(', ')}), then the out-of-line payloads, 8-byte aligned. Every attribute is MANDATORY unless named in \`optional\`. Returns the bytes used.`)}
export function encode${P}(buf: IoctlBuffer, ${inputs(a).length ? 'input' : '_input'}: ${P}In, optional?: readonly ${P}AttrName[]): number {
${pass1.join('\n')}
const start = alignUp8(24 + 16 * n);
if (start + extra > buf.capacity) buf.ensure(start + extra, ${JSON.stringify(what)});
const v = buf.view;
${a.encodeOrder.some((x) => /\bb\b/.test(renderers[x.kind].encode(x, 'x'))) ? 'const b = buf.bytes;\n' : ''}${headerWords(t.id, a.id)}
let p = start;
${pass2.join('\n')}
return p;
}`;
}

function emitDecodeIn(a: ActionModel, P: string, what: string): string {
  const cases: string[] = [];
  for (const x of inputs(a)) {
    const code = renderers[x.kind].decodeIn(x, `res.${x.tsName}`, `${what} ${x.name}`);
    if (code) cases.push(`case ${x.id}: {\n${code}\nbreak;\n}`);
  }
  const required = inputs(a).filter((x) => renderers[x.kind].inRequired(x));
  const body = cases.length === 0 ? '' : `for (let i = 0; i < count; i++) {\nconst at = attrAt(i);\nswitch (attrIdAt(v, at)) {\n${cases.join('\n')}\n}\n}`;
  const check = required.length === 0 ? '' : `\n${required.map((x) => `if (res.${x.tsName} === undefined) throw new RangeError(${JSON.stringify(`${what}: the buffer has no ${x.name} attribute`)});`).join('\n')}`;
  const uses = (s: string): boolean => new RegExp(`\\b${s}\\b`).test(body);
  return `${docComment(`Decodes the request of ${what} in \`buf\` as the kernel reads it: every known input attribute, unknown ids skipped.`)}
export function decode${P}In(${cases.length ? 'buf' : '_buf'}: IoctlBuffer): ${P}In {
${uses('v') || cases.length ? 'const v = buf.view;\n' : ''}${uses('b') ? 'const b = buf.bytes;\n' : ''}${cases.length ? 'const count = numAttrs(v);\n' : ''}const res: Partial<${P}In> = {};
${body}${check}
return res as ${P}In;
}`;
}

function emitDecodeOut(a: ActionModel, P: string, what: string): string {
  const cases: string[] = [];
  for (const x of outputs(a)) {
    const code = renderers[x.kind].decodeOut(x, `res.${x.tsName}`, `${what} ${x.name}`);
    if (code) cases.push(`case ${x.id}: {\n${code}\nbreak;\n}`);
  }
  const required = outputs(a).filter((x) => x.mandatory);
  const body = cases.length === 0 ? '' : `const v = buf.view;\nconst count = numAttrs(v);\nfor (let i = 0; i < count; i++) {\nconst at = attrAt(i);\nswitch (attrIdAt(v, at)) {\n${cases.join('\n')}\n}\n}`;
  const check = required.map((x) => `if (res.${x.tsName} === undefined) throw new RangeError(${JSON.stringify(`${what}: the buffer has no ${x.name} attribute`)});`).join('\n');
  return `${docComment(`Decodes what the kernel wrote back for ${what}: new handles and fds, and every output marked VALID_OUTPUT (mandatory outputs are read regardless, as the kernel's contract says).`)}
export function decode${P}Out(${cases.length ? 'buf' : '_buf'}: IoctlBuffer): ${P}Out {
const res: Partial<${P}Out> = {};
${body}
${check}
return res as ${P}Out;
}`;
}
