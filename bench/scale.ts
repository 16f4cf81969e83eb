/**
 * How the runtime scales: dispatch with 64 extra driver types loaded, the IDR with a
 * million live objects, and the memory each live object takes.
 */
import { encodeCqCreate, UVERBS_OBJECT } from '../generated/core/index.js';
import type { ActionSpec, TypeSpec, UapiSpec } from '../runtime/kernel/contract.js';
import { Device, type Handler, type TypeOps } from '../runtime/kernel/device.js';
import { begin, end } from '../runtime/kernel/dispatch.js';
import { createCoreDevice } from '../runtime/emulated/core/index.js';
import { Access } from '../runtime/kernel/contract.js';
import { UverbsFile } from '../runtime/kernel/uverbs-file.js';
import { Process } from '../runtime/process/process.js';
import { UObject, UObjectState, tryLock, unlock } from '../runtime/kernel/uobject.js';
import { RDMA_VERBS_IOCTL } from '../runtime/abi/wire.js';
import { calls } from './encode.js';
import { compare, gc, ratioRow, type Row, type Settings } from './harness.js';
import { mappedBuffer, openSession } from './session.js';
import { registerDevice } from '../runtime/kernel/char-device.js';

/** The driver namespace's first id (UVERBS_ID_NS 1). */
const DRIVER_NS = 0x1000;

/**
 * The core tables plus `extra` types in the driver namespace, each a deep copy of a core
 * type (cycling through them) under its own id, name and handler names.
 */
export function withDriverTypes(core: UapiSpec, extra: number): UapiSpec {
  const base = core.types.core.filter((t): t is TypeSpec => t !== undefined && t.actions.core.some((a) => a !== undefined));
  const driver: TypeSpec[] = [];
  for (let k = 0; k < extra; k++) {
    const t = structuredClone(base[k % base.length]!) as TypeSpec & { id: number; name: string };
    const copy: TypeSpec = {
      ...t,
      id: DRIVER_NS + k,
      name: `SYN${k}_${t.name}`,
      actions: {
        core: t.actions.core.map((a) => a && ({ ...a, name: `SYN${k}_${a.name}`, handler: `syn${k}_${a.handler}` } as ActionSpec)),
        driver: [],
      },
    };
    driver.push(copy);
  }
  return { ...core, types: { core: core.types.core, driver }, releaseOrder: [...driver.map((t) => t.id), ...core.releaseOrder] };
}

/** A device over `uapi` with the emulated core device's handlers and hooks (the extra types' actions do nothing). */
export function deviceWith(uapi: UapiSpec): Device {
  const core = createCoreDevice();
  const handlers: Record<string, Handler> = {};
  const types: Record<string, TypeOps> = {};
  const noop: Handler = () => {};
  for (const t of core.uapi.types.core) {
    if (!t) continue;
    if (t.kind !== 2) types[t.name] = core.ops(t);
    for (const a of t.actions.core) if (a) handlers[a.handler] = core.plan(t.id, a.id)!.handler;
  }
  for (const t of uapi.types.driver) {
    if (!t) continue;
    if (t.kind !== 2) types[t.name] = { release: () => {} };
    for (const a of t.actions.core) if (a) handlers[a.handler] = noop;
  }
  return registerDevice(uapi, { handlers, types }, core.state);
}

export async function dispatchScaleRow(s: Settings): Promise<Row> {
  const coreUapi = createCoreDevice().uapi;
  const small = await openSession(deviceWith(coreUapi));
  const large = await openSession(deviceWith(withDriverTypes(coreUapi, 64)));
  if (large.device.uapi.types.driver.filter((t) => t).length !== 64) throw new Error('the synthetic tables lack their 64 driver types');
  const bs = mappedBuffer(small);
  const bl = mappedBuffer(large);
  encodeCqCreate(bs, calls(small).cq);
  encodeCqCreate(bl, calls(large).cq);
  const R = RDMA_VERBS_IOCTL;
  const fs = small.file;
  const fl = large.file;
  const as = bs.addr;
  const al = bl.addr;
  const c = compare(
    (n) => { for (let i = 0; i < n; i++) end(begin(fl, R, al), false); return n; },
    (n) => { for (let i = 0; i < n; i++) end(begin(fs, R, as), false); return n; },
    s);
  return ratioRow('dispatch CQ_CREATE (no handler): +64 driver types / core only', c, 1.1);
}

/**
 * A uverbs file holding `count` live idr objects (of type CQ, with no device record:
 * only the runtime's share of an object), and their handles.
 */
function populate(count: number): { file: UverbsFile; type: TypeSpec; handles: Int32Array } {
  const device = createCoreDevice();
  const file = new UverbsFile(device, new Process());
  file.context = {};
  const type = device.type(UVERBS_OBJECT.CQ)!;
  const handles = new Int32Array(count);
  for (let i = 0; i < count; i++) handles[i] = file.create(type, undefined).id;
  return { file, type, handles };
}

/**
 * One cycle of what a command does to the IDR: reserve a new object and commit it, look
 * a live one up by handle (checked as the dispatcher checks it), lock it exclusively and
 * unlock it, then drop the new one so that the count stays the same. The looked-up
 * handles follow a multiplicative hash over the first `working` live objects: a
 * program's working set, or (working = every object) uniformly over the whole heap.
 * With `table`, the lookup reads that plain array (indexed by handle) instead of the
 * IDR, and everything else stays the same: the floor any structure would pay.
 */
function idrLoop(p: { file: UverbsFile; type: TypeSpec; handles: Int32Array }, working: number, table?: readonly (UObject | undefined)[]): (n: number) => number {
  const { file, type, handles } = p;
  const idr = file.device.idr;
  const mask = Math.min(working, handles.length) - 1; // both powers of two
  let k = 0;
  return (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      const u = new UObject(type, file);
      file.reserve(u);
      file.commit(u);
      k = (k + 0x9e3779b1) >>> 0;
      const h = handles[(Math.imul(k, 0x85ebca6b) >>> 12) & mask]!;
      const o = table === undefined ? idr.get(h) : table[h];
      if (!o || o.file !== file || o.state !== UObjectState.LIVE || o.type !== type) throw new Error(`handle ${h} lost`);
      tryLock(o, Access.WRITE);
      unlock(o, Access.WRITE);
      x += o.id;
      file.forget(u);
    }
    return x;
  };
}

/** The live objects of `p` in a plain array indexed by handle (what the IDR holds, without it). */
function plainTable(p: { file: UverbsFile; handles: Int32Array }): (UObject | undefined)[] {
  const table: (UObject | undefined)[] = [];
  let top = 0;
  for (const h of p.handles) top = Math.max(top, h + 1);
  for (let h = 0; h < top; h++) table.push(p.file.device.idr.get(h));
  return table;
}

export function idrRows(s: Settings): Row[] {
  const bigCount = s.quick ? 1 << 14 : 1 << 20;
  const rows: Row[] = [];

  // Memory: the heap a million live objects take, runtime only (uobject, IDR slot, the file's set).
  gc();
  const before = process.memoryUsage().heapUsed;
  const big = populate(bigCount);
  const hadGc = gc();
  const after = process.memoryUsage().heapUsed;
  const perObject = (after - before) / bigCount;
  rows.push({
    figure: `memory per live uobject at ${bigCount === 1 << 20 ? '1M' : bigCount} objects (runtime's share)`,
    measured: `${Math.round(perObject)} B`,
    baseline: hadGc ? 'heapUsed after gc' : 'no --expose-gc: rough',
    value: `${Math.round(perObject)} B`,
    target: 'aim <= 200 B',
    met: perObject <= 200,
  });

  const small = populate(1 << 10);
  const big1 = bigCount === 1 << 20 ? '1M' : String(bigCount);
  rows.push(ratioRow(`IDR alloc+lookup+lock+unlock, 1k-handle working set: ${big1} / 1k live`, compare(idrLoop(big, 1 << 10), idrLoop(small, 1 << 10), s), 1.2));

  // Lookups spread uniformly over every live object miss the caches, whatever holds the
  // objects. Reported next to the floor: the same cycle with a plain array of the objects
  // in place of the IDR, at both sizes, and the IDR against that array at the large one.
  const report = (r: Row): Row => ({ ...r, target: 'report', met: undefined });
  const bigTable = plainTable(big);
  rows.push(report(ratioRow(`IDR alloc+lookup+lock+unlock, lookups over all live: ${big1} / 1k live`, compare(idrLoop(big, bigCount), idrLoop(small, 1 << 10), s), 0)));
  rows.push(report(ratioRow(`  floor, a plain array in place of the IDR: ${big1} / 1k live`, compare(idrLoop(big, bigCount, bigTable), idrLoop(small, 1 << 10, plainTable(small)), s), 0)));
  rows.push(report(ratioRow(`  IDR / plain array, lookups over all ${big1} live`, compare(idrLoop(big, bigCount), idrLoop(big, bigCount, bigTable), s), 0)));
  if (big.file.objects.size !== bigCount) throw new Error(`the file holds ${big.file.objects.size} objects, not ${bigCount}`);
  return rows;
}
