/**
 * write() commands for the fuzz property: a command of the driver's spec with its
 * request struct filled from a seed (small numbers, enum values, handles of live
 * objects, now and then anything), a response address in the rig's buffer, some
 * driver data, and the header and extended header as rdma-core fills them. The
 * mutations of the property then break it anywhere.
 */
import type { StructModel, WriteCommandModel } from '../../generator/model.js';
import { CMD_HDR_SIZE, EX_HDR_SIZE, IB_USER_VERBS_CMD_FLAG_EXTENDED } from '../../runtime/abi/wire.js';
import type { Rig } from '../runtime/rig.js';
import { rng, type Rng } from '../sample.js';

/** Where the response room starts in the rig's buffer (requests stay below it). */
export const RESPONSE_AT = 4096;

const int = (r: Rng, max: number): number => Math.floor(r() * max);

/** A value for a field of `size` bytes: mostly small or an enum's, sometimes any. */
function fieldValue(r: Rng, size: number, enumValues: readonly bigint[] | undefined): bigint {
  const pick = int(r, 10);
  if (enumValues && enumValues.length > 0 && pick < 4) return enumValues[int(r, enumValues.length)]!;
  if (pick < 5) return 0n;
  if (pick < 8) return BigInt(int(r, 17));
  let v = 0n;
  for (let k = 0; k < size; k++) v = (v << 8n) | BigInt(int(r, 256));
  return v;
}

function fillStruct(r: Rng, s: StructModel, view: DataView, at: number, handles: () => number): void {
  for (const f of s.fields) {
    if (f.type.kind === 'flex' || f.name === 'response') continue;
    if (f.type.kind === 'scalar' && (f.size === 1 || f.size === 2 || f.size === 4 || f.size === 8)) {
      const v = f.handle ? BigInt(handles()) : fieldValue(r, f.size, f.enum?.values.map((x) => x.value));
      const o = at + f.offset;
      if (f.size === 1) view.setUint8(o, Number(v & 0xffn));
      else if (f.size === 2) view.setUint16(o, Number(v & 0xffffn), true);
      else if (f.size === 4) view.setUint32(o, Number(v & 0xffff_ffffn), true);
      else view.setBigUint64(o, BigInt.asUintN(64, v), true);
    } else if (f.type.kind === 'struct') {
      fillStruct(r, f.type.struct, view, at + f.offset, handles);
    } else {
      for (let k = 0; k < f.size; k++) view.setUint8(at + f.offset + k, int(r, 4) === 0 ? int(r, 256) : 0);
    }
  }
}

/**
 * Writes command `w` into the rig's buffer: returns the byte count to write(). `handles`
 * gives a handle (or fd) for each handle field in turn; `tailWords` is how much driver
 * data (or flexible array) follows the request, in 8-byte words, where the command takes any.
 */
export function buildWrite(rig: Rig, w: WriteCommandModel, seed: number, handles: () => number, tailWords: number): number {
  const r = rng(seed);
  const v = rig.buf.view;
  rig.buf.bytes.fill(0, 0, RESPONSE_AT + 1024);
  const reqSize = w.request.size;
  const respSize = w.response?.size ?? 0;
  // Only commands that take driver data or a flexible array get a tail: on any other, bytes
  // past the request answer EOPNOTSUPP at once, and the handler would never run.
  const takesTail = w.driverData || w.request.fields.some((f) => f.type.kind === 'flex');
  const tail = takesTail ? 8 * tailWords : 0;
  const hdrs = w.extended ? CMD_HDR_SIZE + EX_HDR_SIZE : CMD_HDR_SIZE;
  fillStruct(r, w.request, v, hdrs, handles);
  for (let k = 0; k < tail; k++) v.setUint8(hdrs + reqSize + k, int(r, 3) === 0 ? int(r, 256) : 0);
  const response = rig.addr(RESPONSE_AT);
  if (w.extended) {
    const inWords = Math.ceil(reqSize / 8);
    const outWords = Math.ceil(respSize / 8);
    v.setUint32(0, (IB_USER_VERBS_CMD_FLAG_EXTENDED | w.command) >>> 0, true);
    v.setUint16(4, inWords, true);
    v.setUint16(6, outWords, true);
    v.setBigUint64(CMD_HDR_SIZE, outWords > 0 ? BigInt(response) : 0n, true);
    v.setUint16(CMD_HDR_SIZE + 8, tail / 8, true);
    v.setUint16(CMD_HDR_SIZE + 10, 0, true);
    return CMD_HDR_SIZE + EX_HDR_SIZE + 8 * inWords + tail;
  }
  if (w.request.fields[0]?.name === 'response') v.setBigUint64(hdrs, BigInt(response), true);
  const count = CMD_HDR_SIZE + reqSize + tail;
  v.setUint32(0, w.command, true);
  v.setUint16(4, Math.ceil(count / 4), true);
  v.setUint16(6, Math.ceil(respSize / 4) + (w.driverData ? 2 : 0), true);
  return Math.ceil(count / 4) * 4;
}
