/**
 * Kernel-side parse and check: the dispatcher's checking half (dispatch.ts begin(): the
 * header, the dense lookup of the action, every attribute against the generated tables,
 * objects looked up and try-locked or reserved, the new handle written back, the
 * mandatory ones) and its release (end() without success: the new object aborted, the
 * others unlocked), with no handler, against a hand-written parser of the same buffers
 * that does the same object work through the same runtime calls.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { encodeCqCreate, encodeQpCreate, encodeRegMr } from '../generated/core/index.js';
import { begin, end } from '../runtime/kernel/dispatch.js';
import { RDMA_VERBS_IOCTL } from '../runtime/abi/wire.js';
import { Taken, handCheckCqCreate, handCheckQpCreate, handCheckRegMr, typesOf } from './baselines.js';
import { calls } from './encode.js';
import { compare, ratioRow, type Row, type Settings } from './harness.js';
import { mappedBuffer, openSession } from './session.js';

export async function parseRows(s: Settings): Promise<Row[]> {
  const session = await openSession();
  const { file, device } = session;
  const c = calls(session);
  const cqBuf = mappedBuffer(session);
  const qpBuf = mappedBuffer(session);
  const mrBuf = mappedBuffer(session);
  encodeCqCreate(cqBuf, c.cq);
  encodeQpCreate(qpBuf, c.qp);
  encodeRegMr(mrBuf, c.mr);
  const ids = typesOf(device);
  const taken = new Taken();
  const R = RDMA_VERBS_IOCTL;
  const cq = cqBuf.addr;
  const qp = qpBuf.addr;
  const mr = mrBuf.addr;

  // Both accept the buffers, take the same objects and leave nothing behind.
  const live = device.idr.size;
  for (const [name, addr, hand] of [['CQ_CREATE', cq, handCheckCqCreate], ['QP_CREATE', qp, handCheckQpCreate], ['REG_MR', mr, handCheckRegMr]] as const) {
    const b = begin(file, R, addr);
    const held = b.uobjects.filter((u) => u !== undefined).length;
    end(b, false);
    const t = hand(file, ids, addr, taken);
    const heldByHand = [t.created, t.a, t.b, t.c, t.d].filter((u) => u !== undefined).length;
    t.release();
    deepStrictEqual(heldByHand, held, `${name}: the hand-written parser took ${heldByHand} objects, the dispatcher ${held}`);
  }
  deepStrictEqual(device.idr.size, live, 'parsing left objects behind');
  deepStrictEqual(file.inflight, 0, 'parsing left a command in flight');

  const rows: Row[] = [];
  rows.push(ratioRow('parse+check CQ_CREATE: dispatcher / hand-written', compare(
    (n) => { for (let i = 0; i < n; i++) end(begin(file, R, cq), false); return n; },
    (n) => { for (let i = 0; i < n; i++) handCheckCqCreate(file, ids, cq, taken).release(); return n; },
    s), 1.5));
  rows.push(ratioRow('parse+check QP_CREATE: dispatcher / hand-written', compare(
    (n) => { for (let i = 0; i < n; i++) end(begin(file, R, qp), false); return n; },
    (n) => { for (let i = 0; i < n; i++) handCheckQpCreate(file, ids, qp, taken).release(); return n; },
    s), 1.5));
  rows.push(ratioRow('parse+check REG_MR: dispatcher / hand-written', compare(
    (n) => { for (let i = 0; i < n; i++) end(begin(file, R, mr), false); return n; },
    (n) => { for (let i = 0; i < n; i++) handCheckRegMr(file, ids, mr, taken).release(); return n; },
    s), 1.5));
  await session.process.close(session.fd);
  return rows;
}
