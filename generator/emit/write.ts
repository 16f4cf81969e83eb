/**
 * The user side of the legacy write() ABI: the command numbers, and per implemented
 * command the request type, what else it carries (driver data, work requests after
 * the struct, response room for completions), an encoder of the whole write() buffer
 * into a reusable IoctlBuffer exactly as rdma-core fills it (cmd_write.h's
 * _execute_cmd_write and _execute_cmd_write_ex), and a decoder of the response.
 */
import { pascalCase, type DriverModel, type FieldModel, type ScalarOrStruct, type StructModel, type WriteCommandModel } from '../model.js';
import { decodeFn, elementInType, elementOutType, elementSize, encodeFn, getElement, initName, putElement } from '../kinds/values.js';
import { hex, oneLine } from './templates.js';
import { codegenImport, docComment, ident } from './ts.js';

/** The flexible array member named so carries driver data (udata); any other carries core request or response. */
const DRIVER_DATA = 'driver_data';
const CMD_HDR = 8;
const EX_HDRS = 24;
const FLAG_EXTENDED = 0x8000_0000;

/** Plain commands by number, then extended ones: the order of the generated file. */
export function writeCommandsInOrder(d: DriverModel): WriteCommandModel[] {
  return [...d.writeCommands].sort((a, b) => Number(a.extended) - Number(b.extended) || a.command - b.command);
}

/** A command the kernel can run: Linux numbers six it never implemented. */
export const implemented = (w: WriteCommandModel): boolean => w.handler !== undefined;

/** The PascalCase prefix of a command's generated names: `WriteAllocPd` of encodeWriteAllocPd, ... */
export function writePrefix(w: WriteCommandModel): string {
  return ident(`Write${pascalCase(w.name)}`);
}

/** A plain command's request starts with the u64 address of its response. */
export const hasResponseField = (w: WriteCommandModel): boolean => !w.extended && w.request.fields[0]?.name === 'response';

/** Top-level flexible arrays of core data (not driver data): elements the encoder writes after the struct, or the decoder reads after it. */
export function coreFlex(s: StructModel | undefined): (FieldModel & { type: { kind: 'flex'; element: ScalarOrStruct } })[] {
  return (s?.fields ?? []).filter((f): f is FieldModel & { type: { kind: 'flex'; element: ScalarOrStruct } } => f.type.kind === 'flex' && f.name !== DRIVER_DATA);
}

/** Whether core request bytes may follow the struct: it, or a struct inside it, ends in a flexible array of core data. */
export function requestTakesTail(s: StructModel, top = true): boolean {
  return s.fields.some((f) => (f.type.kind === 'flex' && !(top && f.name === DRIVER_DATA)) || (f.type.kind === 'struct' && requestTakesTail(f.type.struct, false)));
}

interface Extra {
  key: string;
  type: string;
  doc: string;
}

/** What a command carries besides its request struct, each an optional property of its Extra type. */
function extras(w: WriteCommandModel): Extra[] {
  const word = w.extended ? 8 : 4;
  const out: Extra[] = [];
  for (const f of coreFlex(w.request)) {
    out.push({
      key: f.tsName, type: `readonly ${elementInType(f.type.element)}[]`,
      doc: `${f.name}: ${(f.doc ?? 'the elements of the flexible array').replace(/\.$/, '')}. Written right after the request struct, ${elementSize(f.type.element)} bytes apart.`,
    });
  }
  if (requestTakesTail(w.request)) {
    out.push({
      key: 'tail', type: 'Uint8Array',
      doc: `Core request bytes after the struct${coreFlex(w.request).length ? ' and its elements' : ''} (what the struct's flexible array describes and the spec does not type), zero-padded to a whole ${word}-byte word.`,
    });
  }
  if (w.driverData) {
    out.push({ key: 'driverIn', type: 'Uint8Array', doc: `The driver's request (udata), sent after the core request: a whole number of ${word}-byte words.` });
    if (w.response) {
      out.push({ key: 'driverOutLen', type: 'number', doc: `Room for the driver's response after the core response, in bytes (a whole number of ${word}-byte words); 0 by default.` });
    }
  }
  for (const f of coreFlex(w.response)) {
    out.push({ key: f.tsName, type: 'number', doc: `${f.name}: room for this many ${elementText(f.type.element)} after the response struct; 0 by default.` });
  }
  const keys = new Set<string>();
  for (const x of out) {
    if (keys.has(x.key)) throw new Error(`internal: write command ${w.name} would carry "${x.key}" twice`);
    keys.add(x.key);
  }
  return out;
}

/** Whether a command's encoder takes an Extra: something besides its request struct. */
export const hasWriteExtra = (w: WriteCommandModel): boolean => extras(w).length > 0;

const elementText = (e: ScalarOrStruct): string => (e.kind === 'scalar' ? e.scalar : `struct ${e.struct.name}`);

/** Response rooms the header counts in words must be whole words (a request is padded to one): checked once per command. */
function checkWords(w: WriteCommandModel): void {
  const word = w.extended ? 8 : 4;
  const sizes: [string, number][] = [];
  if (w.response) sizes.push([`struct ${w.response.name}`, w.response.size]);
  for (const f of coreFlex(w.response)) sizes.push([elementText(f.type.element), elementSize(f.type.element)]);
  for (const [label, size] of sizes) {
    if (size % word !== 0) throw new Error(`internal: write command ${w.name}: ${label} is ${size} bytes, not a whole number of ${word}-byte words`);
  }
}

/** The command numbers of every command, and what the caller needs of each implemented one. */
function writeTables(commands: readonly WriteCommandModel[], run: readonly WriteCommandModel[]): string {
  const out = [
    '/**',
    ' * write() command numbers (IB_USER_VERBS_CMD_* and IB_USER_VERBS_EX_CMD_*) as',
    ' * ib_uverbs_cmd_hdr.command carries them, and as INVOKE_WRITE\'s write_cmd takes them:',
    ' * an extended command\'s number has IB_USER_VERBS_CMD_FLAG_EXTENDED (0x80000000) set.',
    ' */',
    'export const WRITE_COMMAND = {',
  ];
  for (const w of commands) {
    const what = `${w.extended ? 'extended ' : ''}${w.command}${implemented(w) ? '' : ', implemented by no Linux kernel'}`;
    out.push(`  /** ${w.cName} (${what}): ${oneLine(w.doc)} */`, `  ${w.name}: ${hex(w.extended ? FLAG_EXTENDED + w.command : w.command)},`);
  }
  out.push(
    '} as const;',
    'export type WriteCommandName = keyof typeof WRITE_COMMAND;',
    'export type WriteCommandNumber = (typeof WRITE_COMMAND)[WriteCommandName];',
    '',
    '/** What the write caller and the decoders know of each implemented command beyond its header (WriteCommandInfo). */',
    'export const WRITE_INFO = {',
    ...run.map((w) => `  ${w.name}: { name: "${w.name}", requestSize: ${w.request.size}, responseSize: ${w.response?.size ?? 0}, driverData: ${w.driverData} },`),
    '} as const satisfies Readonly<Record<string, WriteCommandInfo>>;',
  );
  return `${out.join('\n')}\n`;
}

export function emitWrite(d: DriverModel): string {
  const commands = writeCommandsInOrder(d);
  const run = commands.filter(implemented);
  run.forEach(checkWords);
  const tables = writeTables(commands, run);
  const body = run.map(emitCommand).join('\n\n');
  const code = body.replace(/\/\*\*[\s\S]*?\*\//g, '');
  const identifiers = new Set(code.match(/[A-Za-z_$][\w$]*/g));
  const structNames: string[] = [];
  for (const s of d.structs) {
    for (const n of [encodeFn(s), decodeFn(s), initName(s), s.tsName]) if (identifiers.has(n) && !structNames.includes(n)) structNames.push(n);
  }
  const fns = structNames.filter((n) => /^(en|de)code/.test(n));
  const types = structNames.filter((n) => !/^(en|de)code/.test(n)).map((n) => `type ${n}`);
  const uses = (n: string): boolean => identifiers.has(n);
  const imports = [
    codegenImport([
      ...['alignUp8', 'copyBytes', 'putCmdHdr', 'putExCmdHdr', 'putU64', 'readArray', 'writeResponse', 'writeWords'].filter(uses),
      'type IoctlBuffer',
      'type WriteCommandInfo',
    ]),
  ];
  if (structNames.length) imports.push(`import { ${[...fns, ...types].join(', ')} } from './structs.js';`);
  return `${imports.join('\n')}\n\n${tables}\n${body}\n`;
}

function emitCommand(w: WriteCommandModel): string {
  const P = writePrefix(w);
  const out: string[] = [];
  const init = initName(w.request);
  const omitted = hasResponseField(w) ? `Omit<${init}, 'response'>` : init;
  out.push(docComment(`The request of ${what(w)}: struct ${w.request.name}${hasResponseField(w) ? ' without its response address, which the encoder points at the response room' : ''}. Fields left out are zero. ${w.request.doc}`));
  out.push(`export type ${P}Request = ${omitted};`);
  const xs = extras(w);
  if (xs.length) {
    out.push(docComment(`What ${w.name} carries besides its request struct.`));
    out.push(`export interface ${P}Extra {`);
    for (const x of xs) out.push(`${docComment(x.doc, '  ')}\n  ${x.key}?: ${x.type};`);
    out.push('}');
  }
  if (w.response) {
    out.push(docComment(`The response of ${what(w)}, as the kernel wrote it.`));
    out.push(`export interface ${P}Out {`);
    out.push(`${docComment(`struct ${w.response.name}: ${w.response.doc}`, '  ')}\n  response: ${w.response.tsName};`);
    for (const f of coreFlex(w.response)) {
      out.push(`${docComment(`${f.name}: ${(f.doc ?? 'the elements of the flexible array').replace(/\.$/, '')}: as many as the room given held (the response says how many are valid).`, '  ')}\n  ${f.tsName}: ${elementOutType(f.type.element)}[];`);
    }
    if (w.driverData) out.push(`${docComment("The driver's response room, as the kernel left it (empty unless driverOutLen was given).", '  ')}\n  driverOut: Uint8Array;`);
    out.push('}');
  }
  out.push(emitEncoder(w, P, xs));
  if (w.response) out.push(emitDecoder(w, P));
  return out.join('\n');
}

function emitEncoder(w: WriteCommandModel, P: string, xs: Extra[]): string {
  const word = w.extended ? 8 : 4;
  const hdr = w.extended ? EX_HDRS : CMD_HDR;
  const has = (k: string): boolean => xs.some((x) => x.key === k);
  const flexIn = coreFlex(w.request);
  const lines: string[] = [];
  // Sizes first: nothing is written before the buffer is known to hold it all.
  const core = [String(w.request.size)];
  for (const f of flexIn) {
    lines.push(`const ${f.tsName} = extra?.${f.tsName};`);
    lines.push(`const ${f.tsName}Len = ${f.tsName} === undefined ? 0 : ${f.tsName}.length * ${elementSize(f.type.element)};`);
    core.push(`${f.tsName}Len`);
  }
  if (has('tail')) {
    lines.push('const tail = extra?.tail;');
    lines.push('const tailLen = tail === undefined ? 0 : tail.length;');
    core.push('tailLen');
  }
  const padded = (n: number): number => Math.ceil(n / word) * word;
  lines.push(`const coreLen = ${core.length === 1 ? padded(w.request.size) : word === 8 ? `alignUp8(${core.join(' + ')})` : `(${core.join(' + ')} + 3) & ~3`};`);
  if (w.driverData) {
    lines.push('const driverIn = extra?.driverIn;');
    lines.push(`const driverInWords = driverIn === undefined ? 0 : writeWords(driverIn.length, ${word}, ${JSON.stringify(`${w.name} driverIn`)});`);
  }
  lines.push(`const end = ${hdr} + coreLen${w.driverData ? ` + driverInWords * ${word}` : ''};`);
  if (w.response) {
    const coreRoom = [String(w.response.size), ...coreFlex(w.response).map((f) => `(extra?.${f.tsName} ?? 0) * ${elementSize(f.type.element)}`)];
    lines.push(`const coreRoom = ${coreRoom.join(' + ')};`);
    if (has('driverOutLen')) lines.push(`const driverOutWords = writeWords(extra?.driverOutLen ?? 0, ${word}, ${JSON.stringify(`${w.name} driverOutLen`)});`);
    lines.push('const at = alignUp8(end);');
    lines.push(`const room = coreRoom${has('driverOutLen') ? ` + driverOutWords * ${word}` : ''};`);
    lines.push(`if (at + room > buf.capacity) buf.ensure(at + room, ${JSON.stringify(`write ${w.name}`)});`);
  } else {
    lines.push(`if (end > buf.capacity) buf.ensure(end, ${JSON.stringify(`write ${w.name}`)});`);
  }
  lines.push('const v = buf.view;');
  const bytesAt = lines.length;
  // The headers.
  const cmd = `0x${(w.extended ? FLAG_EXTENDED + w.command : w.command).toString(16)}`;
  if (w.extended) {
    lines.push(`putCmdHdr(v, ${cmd}, coreLen / 8, ${w.response ? 'coreRoom / 8' : '0'});`);
    lines.push(`putExCmdHdr(v, ${w.response ? 'buf.addr + at' : '0'}, ${w.driverData ? 'driverInWords' : '0'}, ${has('driverOutLen') ? 'driverOutWords' : '0'});`);
  } else {
    lines.push(`putCmdHdr(v, ${cmd}, end / 4, ${w.response ? 'room / 4' : '0'});`);
  }
  // The request, its response address, then what follows it, then the padding to a word.
  lines.push(`${encodeFn(w.request)}(v, ${hdr}, request);`);
  if (hasResponseField(w)) lines.push(`putU64(v, ${hdr}, buf.addr + at);`);
  const coreEnd = `${hdr} + coreLen`;
  if (core.length > 1) {
    lines.push(`let p = ${hdr + w.request.size};`);
    for (const f of flexIn) {
      const size = elementSize(f.type.element);
      lines.push(`if (${f.tsName} !== undefined) for (let i = 0; i < ${f.tsName}.length; i++) { ${putElement(f.type.element, 'v', `p + i * ${size}`, `${f.tsName}[i]!`)} }`);
      lines.push(`p += ${f.tsName}Len;`);
    }
    if (has('tail')) lines.push('if (tail !== undefined) b.set(tail, p);', 'p += tailLen;');
    lines.push(`b.fill(0, p, ${coreEnd});`);
  } else if (w.request.size % word !== 0) {
    lines.push(`b.fill(0, ${hdr + w.request.size}, ${coreEnd});`);
  }
  if (w.driverData) lines.push(`if (driverIn !== undefined) b.set(driverIn, ${coreEnd});`);
  if (w.response) lines.push('b.fill(0, end, at + room);');
  lines.push('return end;');
  if (lines.some((l) => /\bb\./.test(l))) lines.splice(bytesAt, 0, 'const b = buf.bytes;');

  const parts = [
    `the command header${w.extended ? ' and the extended header' : ''}`,
    `struct ${w.request.name}${hasResponseField(w) ? ' (its response address pointing at the response room)' : ''}`,
  ];
  for (const f of flexIn) parts.push(`the ${f.name} elements`);
  if (has('tail')) parts.push('the tail');
  if (w.driverData) parts.push('the driver data');
  const room = w.response
    ? `, then (8-byte aligned, zeroed) the response room: struct ${w.response.name}${coreFlex(w.response).map((f) => ` and its ${f.name} room`).join('')}${has('driverOutLen') ? ", then the driver's" : ''}`
    : '';
  const doc = [
    `Encodes ${what(w)} into \`buf\` as rdma-core writes it: ${parts.join(', ')}, zero-padded to whole ${word}-byte words${room}.`,
    w.doc,
    '',
    `@returns The byte count to write(): the headers, the request and what follows it${w.response ? '; the response room lies after it' : ''}.`,
  ].join('\n');
  const extraParam = xs.length ? `, extra?: ${P}Extra` : '';
  return `${docComment(doc)}
export function encode${P}(buf: IoctlBuffer, request: ${P}Request${extraParam}): number {
${lines.join('\n')}
}`;
}

const what = (w: WriteCommandModel): string => `${w.name} (${w.cName}${w.extended ? ', extended' : ''})`;

function emitDecoder(w: WriteCommandModel, P: string): string {
  const resp = w.response!;
  const fields = [`response: ${decodeFn(resp)}(r.view, r.offset),`];
  for (const f of coreFlex(resp)) {
    const size = elementSize(f.type.element);
    fields.push(`${f.tsName}: readArray(r.view, r.offset + ${resp.size}, Math.floor((r.coreLen - ${resp.size}) / ${size}), ${size}, (w, k) => ${getElement(f.type.element, 'w', 'k')}),`);
  }
  if (w.driverData) fields.push('driverOut: copyBytes(r.view, r.offset + r.coreLen, r.driverLen),');
  return `${docComment(`Decodes the response of ${w.name} from the room the request in \`buf\` names (in the buffer, or in memory the buffer resolves): after write() or INVOKE_WRITE alike.`)}
export function decode${P}Out(buf: IoctlBuffer): ${P}Out {
const r = writeResponse(buf, WRITE_INFO.${w.name});
return {
${fields.join('\n')}
};
}`;
}
