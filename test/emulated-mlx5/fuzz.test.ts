/**
 * The fuzz property against the emulated mlx5 device: sequences of raw and mutated ioctl
 * buffers of every core and mlx5 action, each ending in 0 or a documented errno with the
 * IDR and lock invariants intact, and every object released once when the files close.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { loadModel } from '../../generator/generate.js';
import * as mlx5 from '../../generated/mlx5/index.js';
import { lastInternalError } from '../../runtime/kernel/dispatch.js';
import { UserPtr } from '../../runtime/user/ioctl-buffer.js';
import { newPd } from '../../runtime/emulated/core/index.js';
import { createMlx5Device, Mailbox, mlx5State, Op, type DevxObj } from '../../runtime/emulated/mlx5/index.js';
import { checkInvariants, DOCUMENTED, fuzz, type FuzzTarget } from '../fuzz/ioctl-fuzz.js';
import { Rig } from '../runtime/rig.js';
import { DEVX_REQUEST } from './helpers.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 400);

/** The mlx5 device, each file with a DEVX context (mlx5 refuses GET_CONTEXT without its request). */
export function mlx5Target(): FuzzTarget {
  const prepare = async (r: Rig, fd: number): Promise<void> => {
    const rc = await r.call(mlx5.encodeGetContext, { uhwIn: DEVX_REQUEST, uhwOut: true }, fd);
    if (rc !== 0) throw new Error(`GET_CONTEXT failed: ${rc}`);
  };
  return {
    rig: async () => {
      const r = new Rig(createMlx5Device(), undefined, false);
      await prepare(r, r.fd);
      return r;
    },
    prepare,
    driver: loadModel('spec').drivers.find((d) => d.name === 'mlx5')!,
    encoders: mlx5 as never,
  };
}

describe('ioctl fuzz', () => {
  it(`emulated mlx5 device: ${RUNS} sequences of up to 12 calls`, async () => {
    await fuzz(mlx5Target(), RUNS);
  }, 300_000);
});

/** Opcodes the emulated firmware knows, and a few it does not. */
const OPCODES = [...new Set([...Object.values(Op), 0x0, 0x123, 0xbff, 0xfff])];

type DevxOp = { verb: 'create' | 'query' | 'modify' | 'destroy' | 'umem'; opcode: number; opMod: number; body: Uint8Array; pick: number };

const devxOpArb: fc.Arbitrary<DevxOp> = fc.record({
  verb: fc.constantFrom('create', 'create', 'query', 'modify', 'destroy', 'umem'),
  opcode: fc.constantFrom(...OPCODES),
  opMod: fc.oneof(fc.constant(0), fc.constant(1), fc.nat(0xffff)),
  body: fc.uint8Array({ minLength: 16, maxLength: 0x400 }),
  pick: fc.nat(),
});

/**
 * DEVX commands with random bodies under valid headers: whatever the firmware parses
 * out of them (ids, table types, umem ids, destinations, states) ends in 0 or a
 * documented errno, and everything is released once at close.
 */
async function devxSequence(ops: DevxOp[]): Promise<void> {
  const r = new Rig(createMlx5Device(), undefined, false);
  if ((await r.call(mlx5.encodeGetContext, { uhwIn: DEVX_REQUEST })) !== 0) throw new Error('GET_CONTEXT failed');
  const mem = r.process.memory.map(0x10000);
  for (const op of ops) {
    const cmd = Mailbox.zeroed(op.body.length);
    cmd.bytes.set(op.body);
    cmd.set16(0, op.opcode);
    cmd.set16(4, 0);
    if (op.pick % 2 === 0) cmd.set16(6, op.opMod);
    const live = [...r.device.idr.values()];
    const u = live.length > 0 ? live[op.pick % live.length] : undefined;
    const handle = u?.id ?? op.pick % 8;
    // Most queries and modifies name the object they are sent to, with a command of its kind.
    const obj = u?.object as DevxObj | undefined;
    if (obj?.type === 'DEVX_OBJ' && op.pick % 3 !== 0 && (op.verb === 'query' || op.verb === 'modify')) {
      const ops = op.verb === 'query' ? obj.kind.query : obj.kind.modify;
      if (ops.length > 0) {
        cmd.set16(0, ops[op.pick % ops.length]!);
        if (obj.kind.name === 'GENERAL_OBJECT') cmd.set16(6, obj.objType);
        if (cmd.opcode === Op.SET_FLOW_TABLE_ENTRY) cmd.set16(6, 1);
        if (obj.kind.target.bits === 24) cmd.set24(obj.kind.target.at, obj.fwId);
        else cmd.set32(obj.kind.target.at, obj.fwId);
      }
    }
    const before = lastInternalError;
    let rc: number;
    switch (op.verb) {
      case 'create':
        rc = await r.call(mlx5.encodeDevxObjCreate, { cmdIn: cmd.bytes, cmdOut: 16 + (op.pick % 64) });
        break;
      case 'query':
        rc = await r.call(mlx5.encodeDevxObjQuery, { handle, cmdIn: cmd.bytes, cmdOut: 16 + (op.pick % 0x200) });
        break;
      case 'modify':
        rc = await r.call(mlx5.encodeDevxObjModify, { handle, cmdIn: cmd.bytes, cmdOut: 16 });
        break;
      case 'destroy':
        rc = await r.call(mlx5.encodeDevxObjDestroy, { handle });
        break;
      case 'umem':
        rc = await r.call(mlx5.encodeDevxUmemReg, { addr: mem.addr + (op.pick % 0x8000), len: 1 + (op.pick % 0x9000) });
        break;
    }
    if (!DOCUMENTED.has(rc)) throw new Error(`${op.verb} of opcode 0x${op.opcode.toString(16)}: undocumented answer ${rc}`);
    if (lastInternalError !== before) throw new Error(`a handler threw: ${String(lastInternalError)}`);
    checkInvariants(r);
  }
  await r.process.close(r.fd);
  if (r.device.idr.size !== 0) throw new Error(`${r.device.idr.size} objects outlived their file`);
  if (mlx5State(r.device).devxObjects.size !== 0 || mlx5State(r.device).umems.size !== 0) throw new Error('the firmware still keeps objects');
}

describe('DEVX fuzz', () => {
  it(`random DEVX command bodies: ${RUNS} sequences of up to 16 commands`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(devxOpArb, { minLength: 1, maxLength: 16 }), devxSequence), { numRuns: RUNS });
  }, 300_000);
});

type UhwOp = { action: 'cq' | 'qp' | 'srq' | 'wq' | 'context'; mutations: { at: number; value: number }[]; cut: number; extra: number; pick: number };

const uhwOpArb: fc.Arbitrary<UhwOp> = fc.record({
  action: fc.constantFrom('cq', 'qp', 'srq', 'wq', 'context'),
  mutations: fc.array(fc.record({ at: fc.nat(63), value: fc.nat(255) }), { maxLength: 3 }),
  cut: fc.nat(80),
  extra: fc.nat(),
  pick: fc.nat(),
});

/** A valid request of `action` with its queue memory at `buf` and doorbell at `db`, as bytes. */
function validUhw(action: UhwOp['action'], buf: number, db: number): Uint8Array {
  const encode = <T>(size: number, f: (v: DataView, o: number, x: T) => void, x: T): Uint8Array => {
    const out = new Uint8Array(size);
    f(new DataView(out.buffer), 0, x);
    return out;
  };
  switch (action) {
    case 'cq': return encode(mlx5.MLX5_IB_CREATE_CQ_SIZE, mlx5.encodeMlx5IbCreateCq, { bufAddr: buf, dbAddr: db, cqeSize: 64 });
    case 'qp': return encode(mlx5.MLX5_IB_CREATE_QP_SIZE, mlx5.encodeMlx5IbCreateQp, { bufAddr: buf, dbAddr: db, sqWqeCount: 8, rqWqeCount: 8, rqWqeShift: 6 });
    case 'srq': return encode(mlx5.MLX5_IB_CREATE_SRQ_SIZE, mlx5.encodeMlx5IbCreateSrq, { bufAddr: buf, dbAddr: db });
    case 'wq': return encode(mlx5.MLX5_IB_CREATE_WQ_SIZE, mlx5.encodeMlx5IbCreateWq, { bufAddr: buf, dbAddr: db, rqWqeCount: 8, rqWqeShift: 6 });
    case 'context': return encode(mlx5.MLX5_IB_ALLOC_UCONTEXT_REQ_V2_SIZE, mlx5.encodeMlx5IbAllocUcontextReqV2, DEVX_REQUEST);
  }
}

/**
 * Driver data mutated from valid requests, under valid core attributes: mlx5's parsing of its
 * requests (sizes, flags, reserved fields, queue memory, UAR pages) answers 0 or a
 * documented errno, and a refused create leaves nothing behind.
 */
async function uhwSequence(ops: UhwOp[]): Promise<void> {
  const r = new Rig(createMlx5Device(), undefined, false);
  if ((await r.call(mlx5.encodeGetContext, { uhwIn: DEVX_REQUEST })) !== 0) throw new Error('GET_CONTEXT failed');
  const s = mlx5State(r.device);
  const mem = r.process.memory.map(0x20000);
  const pd = r.file.create(r.device.type(mlx5.UVERBS_OBJECT.PD)!, newPd(s)).id;
  const cqs: number[] = [];
  for (const op of ops) {
    const valid = validUhw(op.action, mem.addr + (op.extra % 0x8000), mem.addr + 0x1f000);
    // Most requests are whole; some are cut short or run on past the struct.
    const len = op.cut < 60 ? valid.length : op.cut - 10;
    const uhw = new Uint8Array(Math.max(0, len));
    uhw.set(valid.subarray(0, uhw.length));
    for (const m of op.mutations) if (m.at < uhw.length) uhw[m.at] = m.value;
    const uhwIn = new UserPtr(mem.addr + 0x18000, uhw.length);
    r.process.memory.write(mem.addr + 0x18000, uhw, 'fuzz');
    const before = lastInternalError;
    const ids = s.liveObjects();
    let rc: number;
    const cq = cqs.length > 0 ? cqs[op.pick % cqs.length]! : 0;
    switch (op.action) {
      case 'cq':
        rc = await r.call(mlx5.encodeCqCreate, {
          cqe: 1 + (op.extra % 64), userHandle: 0n, compVector: op.extra % 8, uhwIn, uhwOut: true,
          ...(op.pick % 3 === 0 ? { uarIndex: op.extra % 8 } : {}),
          ...(op.pick % 5 === 0 ? { dbrBufUmem: { type: 0, addr: mem.addr + (op.pick % 0x20000), length: op.extra % 64 } } : {}),
        });
        if (rc === 0) cqs.push(mlx5.decodeCqCreateOut(r.buf).handle);
        break;
      case 'qp':
        rc = await r.call(mlx5.encodeQpCreate, {
          pdHandle: pd, sendCqHandle: cq, recvCqHandle: cq, userHandle: 0n, cap: { maxSendWr: op.extra % 32, maxRecvWr: op.pick % 32, maxSendSge: 1, maxRecvSge: 1 },
          type: [2, 3, 4, 8, 9, 0xff][op.extra % 6]!, uhwIn, uhwOut: true,
        });
        break;
      case 'srq':
        rc = await r.call(mlx5.encodeSrqCreate, { pdHandle: pd, userHandle: 0n, maxWr: 1 + (op.extra % 64), maxSge: 1 + (op.pick % 4), limit: 0, type: 0, uhwIn, uhwOut: true });
        break;
      case 'wq':
        rc = await r.call(mlx5.encodeWqCreate, { pdHandle: pd, cqHandle: cq, userHandle: 0n, type: 0, maxWr: 1 + (op.extra % 64), maxSge: 1, flags: 0, uhwIn, uhwOut: true });
        break;
      case 'context': {
        const fd = r.process.open(r.device);
        rc = await r.call(mlx5.encodeGetContext, { uhwIn, uhwOut: true }, fd);
        break;
      }
    }
    if (!DOCUMENTED.has(rc)) throw new Error(`${op.action}: undocumented answer ${rc}`);
    if (lastInternalError !== before) throw new Error(`a handler threw: ${String(lastInternalError)}`);
    if (rc !== 0 && op.action !== 'context' && JSON.stringify([...s.liveObjects()]) !== JSON.stringify([...ids])) throw new Error(`a refused ${op.action} left objects behind`);
    checkInvariants(r);
  }
  for (const f of [...r.device.files]) await f.close();
  if (r.device.idr.size !== 0) throw new Error(`${r.device.idr.size} objects outlived their files`);
}

describe('UHW fuzz', () => {
  it(`random driver data of the creates: ${RUNS} sequences of up to 16 calls`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(uhwOpArb, { minLength: 1, maxLength: 16 }), uhwSequence), { numRuns: RUNS });
  }, 300_000);
});
