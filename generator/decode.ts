/**
 * `uverbs-abi decode`: an ioctl buffer, or with --write a write() buffer, pretty-printed per the model. Driven by the
 * model, not by generated code, so it also decodes what a new spec has not yet
 * generated. Pointers are followed when they land inside the given bytes.
 */
import { UsageError } from './errors.js';
import {
  SCALAR_SIZE, valueText, type ActionModel, type DriverModel, type EnumModel, type FieldModel, type FieldType, type Model,
  type Scalar, type ScalarOrStruct, type StructModel, type ValueModel,
} from './model.js';
import {
  ATTR_SIZE, CMD_HDR_COMMAND, CMD_HDR_IN_WORDS, CMD_HDR_OUT_WORDS, CMD_HDR_SIZE, EX_HDR_PROVIDER_IN_WORDS, EX_HDR_PROVIDER_OUT_WORDS,
  EX_HDR_RESERVED, EX_HDR_RESPONSE, EX_HDR_SIZE, HDR_SIZE, IB_USER_VERBS_CMD_COMMAND_MASK, IB_USER_VERBS_CMD_FLAG_EXTENDED,
  MAX_IOCTL_LENGTH, TWO_32, UVERBS_ATTR_F_MANDATORY, UVERBS_ATTR_F_VALID_OUTPUT,
} from '../runtime/abi/wire.js';

/** Parses hex with optional spaces, newlines, colons and 0x prefixes. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,_-]/g, '');
  if (clean.length === 0) throw new UsageError('the hex buffer is empty');
  const bad = /[^0-9a-fA-F]/.exec(clean);
  if (bad) throw new UsageError(`"${bad[0]}" at hex digit ${bad.index + 1} is not a hex digit`);
  if (clean.length % 2 !== 0) throw new UsageError(`the hex has ${clean.length} digits, an odd number: each byte needs two`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

interface Options {
  driver?: string;
  addr?: number;
}

const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

export function decodeIoctl(m: Model, bytes: Uint8Array, opts: Options = {}): string {
  if (bytes.length < HDR_SIZE) throw new UsageError(`the buffer is ${bytes.length} bytes; an ioctl header (struct ib_uverbs_ioctl_hdr) is ${HDR_SIZE}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = v.getUint16(0, true);
  const objectId = v.getUint16(2, true);
  const methodId = v.getUint16(4, true);
  const count = v.getUint16(6, true);
  const reserved1 = v.getBigUint64(8, true);
  const driverId = v.getUint32(16, true);
  const reserved2 = v.getUint32(20, true);

  const d = pickDriver(m, driverId, opts.driver);
  const type = d?.types.find((t) => t.id === objectId);
  const action = type?.actions.find((a) => a.id === methodId);
  const lines: string[] = [];
  lines.push(`ioctl ${type ? type.name : `unknown type ${hex(objectId)}`}.${action ? action.name : `unknown action ${hex(methodId)}`}` +
    ` (object ${objectId}, method ${methodId}), driver_id ${driverId}${d ? ` (${d.name})` : ' (no such driver in the spec)'}`);
  const expected = HDR_SIZE + ATTR_SIZE * count;
  lines.push(`  length ${length}, ${count} attribute${count === 1 ? '' : 's'}` +
    (length !== expected ? `  !! length should be ${expected} for ${count} attributes (the kernel answers EINVAL)` : '') +
    (length > MAX_IOCTL_LENGTH ? `  !! more than ${MAX_IOCTL_LENGTH} (EINVAL)` : ''));
  if (reserved1 !== 0n || reserved2 !== 0) lines.push(`  !! reserved fields are not zero (reserved1 ${hex(reserved1)}, reserved2 ${hex(reserved2)}): the kernel answers EPROTONOSUPPORT`);
  const have = Math.floor((bytes.length - HDR_SIZE) / ATTR_SIZE);
  if (have < count) lines.push(`  !! the buffer holds only ${have} of the ${count} attributes`);

  const ctx: Ctx = { bytes, view: v, addr: opts.addr, structs: d?.structs ?? [], enums: d?.enums ?? [] };
  for (let i = 0; i < Math.min(count, have); i++) {
    const at = HDR_SIZE + ATTR_SIZE * i;
    lines.push(...describeAttr(ctx, action, at, i).map((l) => `  ${l}`));
  }
  return lines.join('\n');
}

function pickDriver(m: Model, driverId: number, name: string | undefined): DriverModel | undefined {
  if (name !== undefined) {
    const d = m.drivers.find((x) => x.name === name);
    if (!d) throw new UsageError(`no driver "${name}"; the drivers are: ${m.drivers.map((x) => x.name).join(', ')}`);
    return d;
  }
  return m.drivers.find((x) => x.driverId === driverId);
}

interface Ctx {
  bytes: Uint8Array;
  view: DataView;
  addr: number | undefined;
  structs: StructModel[];
  enums: EnumModel[];
}

function describeAttr(ctx: Ctx, action: ActionModel | undefined, at: number, i: number): string[] {
  const v = ctx.view;
  const id = v.getUint16(at, true);
  const len = v.getUint16(at + 2, true);
  const flags = v.getUint16(at + 4, true);
  const elemId = v.getUint8(at + 6);
  const reserved = v.getUint8(at + 7);
  const lo = v.getUint32(at + 8, true);
  const hi = v.getUint32(at + 12, true);
  const data = lo + hi * TWO_32;
  const a = action?.attributes.find((x) => x.id === id);
  const flagText = [flags & UVERBS_ATTR_F_MANDATORY ? 'MANDATORY' : '', flags & UVERBS_ATTR_F_VALID_OUTPUT ? 'VALID_OUTPUT' : '',
    flags & ~3 ? `unknown flags ${hex(flags & ~3)}` : ''].filter((s) => s).join('|') || 'no flags';
  const head = `[${i}] ${a ? a.name : `unknown attribute ${hex(id)}`} (${hex(id)}) ${a ? a.kind : ''} len ${len}, ${flagText}`.replace('  ', ' ');
  if (!a) return [`${head}: data ${hex(BigInt(lo) + (BigInt(hi) << 32n))}`];
  const notes: string[] = [];
  if (reserved !== 0 || (a.kind !== 'enum_in' && elemId !== 0)) notes.push('!! attr_data reserved bits are not zero (EINVAL)');
  let value: string;
  switch (a.kind) {
    case 'idr':
    case 'fd':
    case 'raw_fd':
      if (len !== 0) notes.push('!! an object attribute must have len 0 (EINVAL)');
      value = a.access === 'new' ? `new ${a.object} ${a.kind === 'idr' ? 'handle' : 'fd'} ${a.kind === 'idr' ? lo : v.getInt32(at + 8, true)}`
        : a.kind === 'idr' ? `${a.object === '*' ? 'object' : a.object} handle ${lo} (${a.access})` : `fd ${v.getInt32(at + 8, true)}${a.object ? ` (${a.object}, ${a.access})` : ''}`;
      break;
    case 'enum_in': {
      const e = a.elements!.find((x) => x.id === elemId);
      value = e ? `${e.name}: ${pointed(ctx, e.value, at, len, data)}` : `!! element ${elemId} is not one of ${a.elements!.map((x) => `${x.id} ${x.name}`).join(', ')} (EOPNOTSUPP)`;
      break;
    }
    case 'flags_in':
      value = flagNames(a.enum, len <= 4 ? BigInt(lo) : BigInt(lo) + (BigInt(hi) << 32n));
      break;
    case 'idrs_array':
      value = `${a.object} handles ${pointed(ctx, { kind: 'array', element: { kind: 'scalar', scalar: 'u32' } }, at, len, data)} (${a.access})`;
      break;
    case 'ptr_out':
      value = `out ${valueText(a.value!)} at ${hex(data)}${flags & UVERBS_ATTR_F_VALID_OUTPUT || a.mandatory ? `: ${pointed(ctx, a.value!, at, len, data, true)}` : ''}`;
      break;
    default:
      value = `${pointed(ctx, a.value!, at, len, data)}${a.enum ? enumName(a.enum, BigInt(lo) + (BigInt(hi) << 32n)) : ''}`;
  }
  if (a.kind.startsWith('ptr') || a.kind === 'const_in' || a.kind === 'flags_in') {
    if (len < a.minLen) notes.push(`!! len ${len} is below the minimum ${a.minLen} (EINVAL)`);
    else if (len > a.len && !a.zeroTrailing) notes.push(`!! len ${len} is above the maximum ${a.len} (EINVAL)`);
  }
  return [`${head}: ${value}`, ...notes.map((n) => `    ${n}`)];
}

function enumName(e: EnumModel, x: bigint): string {
  const hit = e.values.find((v) => v.value === x);
  return hit ? ` (${hit.name})` : ` (not a value of ${e.name})`;
}

function flagNames(e: EnumModel | undefined, x: bigint): string {
  if (!e) return hex(x);
  const names = e.values.filter((v) => v.value !== 0n && (v.value & (v.value - 1n)) === 0n && (x & v.value) !== 0n).map((v) => v.name);
  const rest = x & ~e.mask;
  return `${hex(x)}${names.length ? ` (${names.join(' | ')})` : ''}${rest ? `  !! bits ${hex(rest)} are not in ${e.name} (EINVAL)` : ''}`;
}

/** A value inline (len <= 8, inputs) or behind a pointer, decoded when its bytes are at hand. */
function pointed(ctx: Ctx, value: ValueModel, at: number, len: number, data: number, isOut = false): string {
  if (!isOut && len <= 8) return render(ctx, value, ctx.view, at + 8, len);
  const where = ctx.addr === undefined ? -1 : data - ctx.addr;
  if (where < 0 || where + len > ctx.bytes.length) return `pointer ${hex(data)}, ${len} bytes${ctx.addr === undefined ? ' (give --addr to follow it)' : ' (outside the given bytes)'}`;
  return render(ctx, value, ctx.view, where, len);
}

function render(ctx: Ctx, value: ValueModel, v: DataView, o: number, len: number): string {
  switch (value.kind) {
    case 'scalar':
    case 'struct':
      return element(ctx, value, v, o, len);
    case 'array': {
      const size = value.element.kind === 'scalar' ? SCALAR_SIZE[value.element.scalar] : value.element.struct.size;
      const n = Math.floor(len / size);
      return `[${Array.from({ length: n }, (_, i) => element(ctx, value.element, v, o + i * size, size)).join(', ')}]`;
    }
    case 'bytes':
      return len === 0 ? '(empty)' : Array.from(new Uint8Array(v.buffer, v.byteOffset + o, len), (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
}

function element(ctx: Ctx, e: ScalarOrStruct, v: DataView, o: number, len: number): string {
  if (e.kind === 'scalar') {
    const size = SCALAR_SIZE[e.scalar];
    if (len < size) return `(${len} of ${size} bytes)`;
    switch (e.scalar) {
      case 'u8': return String(v.getUint8(o));
      case 'u16': return String(v.getUint16(o, true));
      case 'u32': return String(v.getUint32(o, true));
      case 'u64': return String(v.getBigUint64(o, true));
      case 's8': return String(v.getInt8(o));
      case 's16': return String(v.getInt16(o, true));
      case 's32': return String(v.getInt32(o, true));
      case 's64': return String(v.getBigInt64(o, true));
    }
  }
  const s = e.struct;
  const parts = s.fields.filter((f) => f.type.kind !== 'flex' && f.offset + f.size <= len)
    .map((f) => `${f.name}: ${field(ctx, f.type, v, o + f.offset)}`);
  const cut = len < s.size ? ` (first ${len} of ${s.size} bytes)` : '';
  return `{ ${parts.join(', ')} }${cut}`;
}

function field(ctx: Ctx, t: FieldType, v: DataView, o: number): string {
  if (t.kind === 'scalar' || t.kind === 'struct') return element(ctx, t, v, o, t.kind === 'scalar' ? SCALAR_SIZE[t.scalar] : t.struct.size);
  if (t.kind === 'array') return render(ctx, { kind: 'array', element: t.element }, v, o,
    t.count * (t.element.kind === 'scalar' ? SCALAR_SIZE[t.element.scalar] : t.element.struct.size));
  return '[]';
}


/**
 * A write() buffer, from its first byte (struct ib_uverbs_cmd_hdr): the command by name,
 * the extended header, each request field by name with its value (handles named as
 * such), what follows the struct and the driver data as hex. Write buffers carry no
 * driver id: the view is `opts.driver`'s, core by default.
 */
export function decodeWrite(m: Model, bytes: Uint8Array, opts: Options = {}): string {
  if (bytes.length < CMD_HDR_SIZE) {
    throw new UsageError(`the buffer is ${bytes.length} bytes; a write() command header (struct ib_uverbs_cmd_hdr) is ${CMD_HDR_SIZE}`);
  }
  const d = (opts.driver !== undefined ? pickDriver(m, 0, opts.driver) : undefined) ?? m.drivers[0]!;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const command = v.getUint32(CMD_HDR_COMMAND, true);
  const inWords = v.getUint16(CMD_HDR_IN_WORDS, true);
  const outWords = v.getUint16(CMD_HDR_OUT_WORDS, true);
  const extended = (command & IB_USER_VERBS_CMD_FLAG_EXTENDED) !== 0;
  const number = command & IB_USER_VERBS_CMD_COMMAND_MASK;
  const stray = (command & ~(IB_USER_VERBS_CMD_COMMAND_MASK | IB_USER_VERBS_CMD_FLAG_EXTENDED)) >>> 0;
  const w = d.writeCommands.find((x) => x.extended === extended && x.command === number);
  const kind = extended ? 'extended command' : 'command';
  const lines = [`write ${w ? w.name : `unknown ${kind} ${number} (${hex(number)})`} (${w ? `${kind} ${number}, ${w.cName}` : `no such ${kind} in the ${d.name} spec`}), command word ${hex(command >>> 0)}, ${d.name} view`];
  if (stray !== 0) lines.push(`  !! bits ${hex(stray)} are outside the command byte and the extended flag (the kernel answers EINVAL)`);
  if (w && w.handler === undefined) lines.push('  !! implemented by no Linux kernel: the kernel checks the header and answers EOPNOTSUPP');
  const ctx: Ctx = { bytes, view: v, addr: opts.addr, structs: d.structs, enums: d.enums };
  let body: number;
  let coreLen: number;
  let driverLen: number;
  if (extended) {
    const all = CMD_HDR_SIZE + EX_HDR_SIZE;
    if (bytes.length < all) throw new UsageError(`the buffer is ${bytes.length} bytes; an extended command needs both headers (ib_uverbs_cmd_hdr and ib_uverbs_ex_cmd_hdr), ${all}`);
    const x = CMD_HDR_SIZE;
    const response = v.getBigUint64(x + EX_HDR_RESPONSE, true);
    const providerIn = v.getUint16(x + EX_HDR_PROVIDER_IN_WORDS, true);
    const providerOut = v.getUint16(x + EX_HDR_PROVIDER_OUT_WORDS, true);
    const reserved = v.getUint32(x + EX_HDR_RESERVED, true);
    lines.push(`  in_words ${inWords} (${inWords * 8} bytes of request), out_words ${outWords} (${outWords * 8} bytes of response)`);
    lines.push(`  ex_cmd_hdr: response ${hex(response)}, provider_in_words ${providerIn} (${providerIn * 8} bytes), provider_out_words ${providerOut} (${providerOut * 8} bytes), cmd_hdr_reserved ${reserved}`);
    if (reserved !== 0) lines.push('  !! cmd_hdr_reserved is not zero (EINVAL)');
    if (response === 0n && (outWords !== 0 || providerOut !== 0)) lines.push('  !! room for a response but no response address (EINVAL)');
    if (response !== 0n && outWords === 0 && providerOut === 0) lines.push('  !! a response address with no room for a response (EINVAL)');
    if ((inWords + providerIn) * 8 !== bytes.length - all) {
      lines.push(`  !! in_words + provider_in_words make ${(inWords + providerIn) * 8} bytes after the headers, the buffer has ${bytes.length - all} (EINVAL)`);
    }
    body = all;
    coreLen = Math.min(inWords * 8, bytes.length - all);
    driverLen = Math.max(0, Math.min(providerIn * 8, bytes.length - all - coreLen));
    if (w && outWords * 8 < w.responseMinLen && response !== 0n) lines.push(`  !! room for ${outWords * 8} bytes of response, ${w.name} needs at least ${w.responseMinLen} (ENOSPC)`);
  } else {
    lines.push(`  in_words ${inWords} (${inWords * 4} bytes written, header included), out_words ${outWords} (${outWords * 4} bytes of response room)`);
    if (inWords * 4 !== bytes.length) lines.push(`  !! in_words make ${inWords * 4} bytes, the buffer has ${bytes.length} (a write() of the buffer answers EINVAL)`);
    body = CMD_HDR_SIZE;
    const inLen = bytes.length - CMD_HDR_SIZE;
    coreLen = w?.driverData ? Math.min(w.request.size, inLen) : inLen;
    driverLen = inLen - coreLen;
    if (w && outWords * 4 < w.responseMinLen) lines.push(`  !! room for ${outWords * 4} bytes of response, ${w.name} needs at least ${w.responseMinLen} (ENOSPC)`);
  }
  if (!w) {
    lines.push(`  body (${bytes.length - body} bytes): ${hexBytes(bytes, body, bytes.length - body)}`);
    return lines.join('\n');
  }
  if (coreLen < w.requestMinLen) lines.push(`  !! the request is ${coreLen} bytes, ${w.name} needs at least ${w.requestMinLen} (ENOSPC)`);
  const s = w.request;
  lines.push(`  request struct ${s.name} (${s.size} bytes):`);
  for (const f of s.fields) {
    if (f.type.kind === 'flex' || f.size === 0) continue;
    if (f.offset + f.size > coreLen) {
      lines.push(`    ${f.name}: (not in the buffer)`);
      continue;
    }
    const at = body + f.offset;
    const value = f.handle ? handleText(d, f, v, at) : !extended && f.name === 'response' && f.offset === 0
      ? `${hex(v.getBigUint64(at, true))} (where the kernel writes the response)`
      : `${field(ctx, f.type, v, at)}${f.enum && f.type.kind === 'scalar' ? scalarEnum(f.enum, v, at, f.type.scalar) : ''}`;
    lines.push(`    ${f.name}: ${value}`);
  }
  if (coreLen > s.size) {
    const rest = coreLen - s.size;
    const flex = s.fields.find((f) => f.type.kind === 'flex');
    lines.push(`  after the struct (${rest} bytes${flex ? `, ${flex.name}[] and what follows` : ''}): ${hexBytes(bytes, body + s.size, rest)}`);
  }
  if (driverLen > 0 || w.driverData) lines.push(`  driver data (${driverLen} bytes): ${hexBytes(bytes, body + coreLen, driverLen)}`);
  return lines.join('\n');
}

function hexBytes(bytes: Uint8Array, from: number, len: number): string {
  return len <= 0 ? '(empty)' : Array.from(bytes.subarray(from, from + len), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A handle field: the object type and access the spec gives it; an fd for an fd type. */
function handleText(d: DriverModel, f: FieldModel, v: DataView, at: number): string {
  const h = f.handle!;
  const isFd = d.types.find((t) => t.name === h.object)?.kind === 'fd';
  const n = f.type.kind === 'scalar' && f.type.scalar.startsWith('s') ? v.getInt32(at, true) : v.getUint32(at, true);
  return `${h.object} ${isFd ? 'fd' : 'handle'} ${n} (${h.access})`;
}

function scalarEnum(e: EnumModel, v: DataView, at: number, s: Scalar): string {
  const x = SCALAR_SIZE[s] === 8 ? v.getBigUint64(at, true) : BigInt(SCALAR_SIZE[s] === 4 ? v.getUint32(at, true) : SCALAR_SIZE[s] === 2 ? v.getUint16(at, true) : v.getUint8(at));
  return e.flags ? ` = ${flagNames(e, x)}` : enumName(e, x);
}
