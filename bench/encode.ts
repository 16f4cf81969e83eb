/**
 * Encode: the generated CQ_CREATE, QP_CREATE and REG_MR encoders against hand-written
 * DataView encoders of the same bytes (checked equal once before timing).
 */
import { deepStrictEqual } from 'node:assert/strict';
import { encodeCqCreate, encodeQpCreate, encodeRegMr, type CqCreateIn, type QpCreateIn, type RegMrIn } from '../generated/core/index.js';
import { IoctlBuffer } from '../runtime/user/ioctl-buffer.js';
import {
  handEncodeCqCreate, handEncodeQpCreate, handEncodeRegMr, type HandCqCreate, type HandQpCreate, type HandRegMr,
} from './baselines.js';
import { compare, ratioRow, type Row, type Settings } from './harness.js';

/** The calls every figure uses: an RC QP on a PD and a CQ, a CQ, an MR of a user address (rdma-core's common path). */
export interface Calls {
  cq: CqCreateIn & HandCqCreate;
  qp: QpCreateIn & HandQpCreate;
  mr: RegMrIn & HandRegMr;
}

export function calls(h: { pd: number; cq: number; eventFd: number }): Calls {
  const va = 0x7f12_3456_0000;
  return {
    cq: { cqe: 16, userHandle: 0x55d0_c0ff_ee00, compVector: 0, eventFd: h.eventFd },
    qp: {
      pdHandle: h.pd, sendCqHandle: h.cq, recvCqHandle: h.cq, type: 2 /* IB_UVERBS_QPT_RC */, userHandle: 0x55d0_c0ff_e000,
      cap: { maxSendWr: 64, maxRecvWr: 64, maxSendSge: 1, maxRecvSge: 1, maxInlineData: 0 }, eventFd: h.eventFd,
    },
    mr: { addr: va, iova: va, pdHandle: h.pd, length: 0x10000, accessFlags: 7 },
  };
}

const ADDR = 0x7f00_0000_1000;

/** Both encoders write the same bytes and report the same length; throws otherwise. */
function sameBytes(name: string, gen: (b: IoctlBuffer) => number, hand: (v: DataView, addr: number) => number): void {
  const a = new IoctlBuffer(4096, ADDR);
  const b = new IoctlBuffer(4096, ADDR);
  const la = gen(a);
  const lb = hand(b.view, ADDR);
  deepStrictEqual(lb, la, `${name}: hand-written length ${lb}, generated ${la}`);
  deepStrictEqual(Buffer.from(b.bytes.subarray(0, lb)).toString('hex'), Buffer.from(a.bytes.subarray(0, la)).toString('hex'), `${name}: the hand-written bytes differ`);
}

export function encodeRows(s: Settings): Row[] {
  const c = calls({ pd: 1, cq: 2, eventFd: 3 });
  sameBytes('CQ_CREATE', (b) => encodeCqCreate(b, c.cq), (v, a) => handEncodeCqCreate(v, a, c.cq));
  sameBytes('QP_CREATE', (b) => encodeQpCreate(b, c.qp), (v, a) => handEncodeQpCreate(v, a, c.qp));
  sameBytes('REG_MR', (b) => encodeRegMr(b, c.mr), (v, a) => handEncodeRegMr(v, a, c.mr));

  const gen = new IoctlBuffer(4096, ADDR);
  const hand = new IoctlBuffer(4096, ADDR);
  const hv = hand.view;
  const cq = c.cq;
  const qp = c.qp;
  const mr = c.mr;

  const rows: Row[] = [];
  rows.push(ratioRow('encode CQ_CREATE: generated / hand-written', compare(
    (n) => { let x = 0; for (let i = 0; i < n; i++) x += encodeCqCreate(gen, cq); return x; },
    (n) => { let x = 0; for (let i = 0; i < n; i++) x += handEncodeCqCreate(hv, ADDR, cq); return x; },
    s), 1.25));
  rows.push(ratioRow('encode QP_CREATE: generated / hand-written', compare(
    (n) => { let x = 0; for (let i = 0; i < n; i++) x += encodeQpCreate(gen, qp); return x; },
    (n) => { let x = 0; for (let i = 0; i < n; i++) x += handEncodeQpCreate(hv, ADDR, qp); return x; },
    s), 1.25));
  rows.push(ratioRow('encode REG_MR: generated / hand-written', compare(
    (n) => { let x = 0; for (let i = 0; i < n; i++) x += encodeRegMr(gen, mr); return x; },
    (n) => { let x = 0; for (let i = 0; i < n; i++) x += handEncodeRegMr(hv, ADDR, mr); return x; },
    s), 1.25));
  return rows;
}
