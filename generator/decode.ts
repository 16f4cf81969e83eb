/**
 * `uverbs-abi decode`: an ioctl buffer pretty-printed per the model. Driven by the
 * model, not by generated code, so it also decodes what a new spec has not yet
 * generated. Pointers are followed when they land inside the given bytes.
 */
import { UsageError } from './errors.js';
import {
  SCALAR_SIZE, valueText, type ActionModel, type DriverModel, type EnumModel, type FieldType, type Model,
  type ScalarOrStruct, type StructModel, type ValueModel,
} from './model.js';
import {
  ATTR_SIZE, HDR_SIZE, MAX_IOCTL_LENGTH, TWO_32, UVERBS_ATTR_F_MANDATORY, UVERBS_ATTR_F_VALID_OUTPUT,
} from '../runtime/wire.js';

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

