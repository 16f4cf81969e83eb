/**
 * Property-based fuzzing of the ioctl and write() paths: sequences of raw buffers,
 * some random, most mutated from valid requests of random actions and write()
 * commands, against one live device. Every call must end in success or a documented
 * errno, and after each call the IDR and lock invariants must hold: nothing thrown,
 * no lock left held, no object lost or leaked.
 */
import fc from 'fast-check';
import type { DriverModel } from '../../generator/model.js';
import { pascalCase } from '../../generator/model.js';
import { lastInternalError } from '../../runtime/kernel/dispatch.js';
import { EAGAIN, EBADF, EBUSY, EFAULT, EINVAL, EIO, ENOENT, ENOMEM, ENOSPC, ENOTTY, EOPNOTSUPP, EPERM, EPROTONOSUPPORT, ERANGE } from '../../runtime/abi/errno.js';
import type { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { UObjectState } from '../../runtime/kernel/uobject.js';
import { RDMA_VERBS_IOCTL } from '../../runtime/abi/wire.js';
import type { Rig } from '../runtime/rig.js';
import { rng, sampleIn } from '../sample.js';
import { buildWrite } from './write-ops.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

/**
 * Every errno the ABI documents for ioctl and write(), plus what handlers answer for
 * device limits; EAGAIN is write() OPEN_XRCD's answer for a file with no XRC domain and
 * no O_CREAT, as Linux answers.
 */
export const DOCUMENTED = new Set([0, ENOTTY, EFAULT, EINVAL, EPROTONOSUPPORT, EOPNOTSUPP, ENOENT, EBUSY, EIO, EBADF, ENOMEM, ENOSPC, EPERM, ERANGE, EAGAIN].map((e) => -e));

type Encoders = Record<string, (buf: IoctlBuffer, input: unknown) => number>;

export interface FuzzTarget {
  /** A fresh device, process and file with a context. */
  rig(): Rig | Promise<Rig>;
  /** Gives a newly opened file its context. */
  prepare(r: Rig, fd: number): Promise<void>;
  driver: DriverModel;
  encoders: Encoders;
}

type Op =
  | { kind: 'valid'; action: number; seed: number; handles: number[]; mutations: { at: number; value: number }[] }
  | { kind: 'random'; bytes: Uint8Array; request: number }
  | { kind: 'write'; command: number; seed: number; handles: number[]; tailWords: number; mutations: { at: number; value: number }[] }
  | { kind: 'random-write'; bytes: Uint8Array }
  | { kind: 'close-reopen' };

const opArb = (actions: number, commands: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({
      kind: fc.constant('valid' as const),
      action: fc.nat(actions - 1),
      seed: fc.nat(),
      handles: fc.array(fc.nat(40), { maxLength: 4 }),
      mutations: fc.array(fc.record({ at: fc.nat(400), value: fc.nat(255) }), { maxLength: 3 }),
    }) },
    { weight: 2, arbitrary: fc.record({
      kind: fc.constant('random' as const),
      bytes: fc.uint8Array({ minLength: 0, maxLength: 200 }),
      request: fc.constantFrom(RDMA_VERBS_IOCTL, RDMA_VERBS_IOCTL, 0xc0181b02),
    }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'close-reopen' as const }) },
    { weight: commands > 0 ? 4 : 0, arbitrary: fc.record({
      kind: fc.constant('write' as const),
      command: fc.nat(Math.max(0, commands - 1)),
      seed: fc.nat(),
      handles: fc.array(fc.nat(40), { maxLength: 4 }),
      tailWords: fc.nat(4),
      mutations: fc.array(fc.record({ at: fc.nat(200), value: fc.nat(255) }), { maxLength: 3 }),
    }) },
    { weight: commands > 0 ? 1 : 0, arbitrary: fc.record({
      kind: fc.constant('random-write' as const),
      bytes: fc.uint8Array({ minLength: 0, maxLength: 120 }),
    }) },
  );

/** The invariants that must hold between commands. */
export function checkInvariants(r: Rig): void {
  const dev = r.device;
  for (const u of dev.idr.values()) {
    if (u.usecnt !== 0) throw new Error(`${u.type.name} ${u.id} left locked (usecnt ${u.usecnt})`);
    if (u.state !== UObjectState.LIVE && u.state !== UObjectState.HW_GONE) throw new Error(`${u.type.name} ${u.id} in the IDR in state ${u.state}`);
    if (!dev.files.has(u.file) || !u.file.objects.has(u)) throw new Error(`${u.type.name} ${u.id} is not owned by a live file`);
    if (dev.idr.get(u.id) !== u) throw new Error(`${u.type.name} ${u.id} is not under its own handle`);
  }
  for (const f of dev.files) {
    if (f.inflight !== 0) throw new Error('a command is still counted in flight');
    for (const u of f.objects) {
      if (u.state === UObjectState.RESERVED || u.state === UObjectState.DESTROYED) throw new Error(`${u.type.name} ${u.id} leaked in state ${u.state}`);
    }
  }
  if (dev.inflight !== 0) throw new Error('the device counts a command in flight');
}

export async function runOps(t: FuzzTarget, r: Rig, ops: Op[]): Promise<void> {
  const actions = t.driver.types.flatMap((ty) => ty.actions);
  const commands = t.driver.writeCommands;
  let fd = r.fd;
  for (const op of ops) {
    let res: number;
    if (op.kind === 'close-reopen') {
      const file = uverbsFileAt(r.process, fd);
      if (file) await r.process.close(fd);
      fd = r.process.open(r.device);
      if (fd >= 0) await t.prepare(r, fd);
      continue;
    }
    const live = [...r.device.idr.values()].map((u) => u.id);
    if (op.kind === 'random') {
      r.buf.bytes.fill(0, 0, 512);
      r.buf.bytes.set(op.bytes, 0);
      res = await r.process.ioctl(fd, op.request, r.buf.addr);
    } else if (op.kind === 'random-write') {
      r.buf.bytes.fill(0, 0, 512);
      r.buf.bytes.set(op.bytes, 0);
      res = await r.process.write(fd, r.buf.addr, op.bytes.length);
      if (res === op.bytes.length) res = 0;
    } else if (op.kind === 'write') {
      let h = 0;
      const handle = (): number => {
        const pick = op.handles[h++ % Math.max(1, op.handles.length)] ?? 0;
        return live.length > 0 && pick % 3 !== 0 ? live[pick % live.length]! : pick;
      };
      const count = buildWrite(r, commands[op.command]!, op.seed, handle, op.tailWords);
      for (const m of op.mutations) r.buf.bytes[m.at] = m.value;
      res = await r.process.write(fd, r.buf.addr, count);
      if (res === count) res = 0;
    } else {
      const a = actions[op.action]!;
      const input = sampleIn(rng(op.seed), a);
      // Point handle inputs at objects that exist (or at small numbers that may).
      let h = 0;
      for (const x of a.attributes) {
        if ((x.kind === 'idr' || x.kind === 'fd') && x.access !== 'new' && x.tsName in input) {
          const pick = op.handles[h++ % Math.max(1, op.handles.length)] ?? 0;
          (input as Record<string, unknown>)[x.tsName] = live.length > 0 && pick % 3 !== 0 ? live[pick % live.length] : pick;
        }
      }
      t.encoders[`encode${pascalCase(a.name)}`]!(r.buf, input);
      for (const m of op.mutations) r.buf.bytes[m.at] = m.value;
      res = await r.process.ioctl(fd, RDMA_VERBS_IOCTL, r.buf.addr);
    }
    if (!DOCUMENTED.has(res)) throw new Error(`undocumented answer ${res}`);
    if (lastInternalError !== undefined) throw new Error(`a handler threw: ${String(lastInternalError)}`);
    if (lastInternalError !== undefined) throw new Error(`a write handler threw: ${String(lastInternalError)}`);
    checkInvariants(r);
  }
  // Closing everything releases every object exactly once.
  const before = r.device.files.size;
  for (const f of [...r.device.files]) await f.close();
  if (r.device.idr.size !== 0) throw new Error(`${r.device.idr.size} objects outlived their files (${before} files)`);
}

export async function fuzz(t: FuzzTarget, numRuns: number, seed?: number): Promise<void> {
  const actions = t.driver.types.flatMap((ty) => ty.actions).length;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb(actions, t.driver.writeCommands.length), { minLength: 1, maxLength: 12 }), async (ops) => {
      await runOps(t, await t.rig(), ops);
    }),
    { numRuns, ...(seed !== undefined ? { seed } : {}) },
  );
}
