/**
 * What docs/adding-a-driver-attribute.md tells a driver developer to do, done for real
 * on a copy of the spec: add an attribute to mlx5's extension of CQ_CREATE, generate,
 * type-check, encode it, dispatch it, and see the handler receive it. Then the
 * proposal's promise: old user space (encoders generated before the change) still works
 * against the new kernel tables, and a new attribute sent optional is ignored by an old
 * kernel while a mandatory one is refused.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Project } from 'ts-morph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitAll, loadModel, writeFiles } from '../../generator/generate.js';
import * as oldUserSpace from '../../generated/mlx5/index.js';
import { TypeKind, lookup, type UapiSpec } from '../../runtime/kernel/contract.js';
import { Device, type Handler, type TypeOps } from '../../runtime/kernel/device.js';
import { EPROTONOSUPPORT } from '../../runtime/abi/errno.js';
import type { IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { Rig } from '../runtime/rig.js';
import { registerDevice } from '../../runtime/kernel/char-device.js';

const NEW_ID = 0x1004;
let dir: string;
type Mod = Record<string, unknown> & { uapi: UapiSpec };
let fresh: Mod;

/** A device over `uapi` whose CQ_CREATE handler reports what it received; every other handler only makes its object. */
function deviceOver(uapi: UapiSpec, seen: { value?: number; has?: boolean }): Device {
  const handlers: Record<string, Handler> = {};
  const types: Record<string, TypeOps> = {};
  for (const t of [...uapi.types.core, ...uapi.types.driver]) {
    if (!t) continue;
    if (t.kind !== TypeKind.DEVICE) types[t.name] = { release() {} };
    for (const a of [...t.actions.core, ...t.actions.driver]) if (a) handlers[a.handler] = () => {};
  }
  handlers.cqCreate = (b) => {
    // An old kernel's table has no such attribute at all.
    seen.has = lookup(b.action.byId, NEW_ID) !== undefined && b.has(NEW_ID);
    if (seen.has) seen.value = b.u32(NEW_ID);
    b.uobject(0).object = {};
    b.outputU32(6, 1);
  };
  return registerDevice(uapi, { handlers, types });
}

beforeAll(() => {
  // 1. Edit the spec: a copy, with the new attribute in spec/mlx5/ext_cq.json.
  dir = mkdtempSync(join('test', '.tmp-'));
  cpSync('spec', join(dir, 'spec'), { recursive: true });
  const file = join(dir, 'spec/mlx5/ext_cq.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as { typeExtensions: { actionExtensions: { action: string; attributes: object[] }[] }[] };
  json.typeExtensions[0]!.actionExtensions.find((x) => x.action === 'CQ_CREATE')!.attributes.push({
    name: 'moderation_usec', cName: 'MLX5_IB_ATTR_CREATE_CQ_MODERATION_USEC', id: NEW_ID, kind: 'ptr_in', value: 'u32', mandatory: false,
    doc: 'A test attribute: completion moderation period in microseconds.',
  });
  writeFileSync(file, JSON.stringify(json, null, 2));
  // 2. Regenerate (into the copy; the generated code imports runtime/ by a relative path).
  writeFiles(join(dir, 'generated'), emitAll(loadModel(join(dir, 'spec')), { outDir: join(dir, 'generated') }));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('adding a driver attribute', () => {
  it('the new attribute is in the model with its id, and the generated code type-checks', () => {
    const cq = loadModel(join(dir, 'spec')).drivers.find((d) => d.name === 'mlx5')!.types.find((t) => t.name === 'CQ')!;
    expect(cq.actions.find((a) => a.name === 'CQ_CREATE')!.attributes.find((a) => a.id === NEW_ID)).toMatchObject({ name: 'moderation_usec', driver: 'mlx5' });
    const project = new Project({ tsConfigFilePath: 'tsconfig.json', skipAddingFilesFromTsConfig: true });
    project.addSourceFilesAtPaths(join(dir, 'generated/mlx5/**/*.ts'));
    expect(project.getPreEmitDiagnostics().map((d) => String(d.getMessageText()))).toEqual([]);
  }, 60_000);

  it('the client field encodes, the runtime dispatches it, and the handler receives it', async () => {
    fresh = (await import(resolve(dir, 'generated/mlx5/index.ts'))) as Mod;
    const seen: { value?: number; has?: boolean } = {};
    const r = new Rig(deviceOver(fresh.uapi, seen));
    const encode = fresh.encodeCqCreate as (b: IoctlBuffer, i: object) => number;
    expect(await r.call(encode, { cqe: 8, userHandle: 1, compVector: 0, moderationUsec: 250 })).toBe(0);
    expect(seen).toEqual({ has: true, value: 250 });
  });

  it('old user space still works: a buffer encoded without the new attribute is accepted', async () => {
    const seen: { value?: number; has?: boolean } = {};
    const r = new Rig(deviceOver(fresh.uapi, seen));
    expect(await r.call(oldUserSpace.encodeCqCreate, { cqe: 8, userHandle: 1, compVector: 0 })).toBe(0);
    expect(seen).toEqual({ has: false });
  });

  it('an old kernel ignores the new attribute sent optional, and refuses it sent mandatory', async () => {
    const seen: { value?: number; has?: boolean } = {};
    const old = new Rig(deviceOver(oldUserSpace.uapi, seen));
    const encode = fresh.encodeCqCreate as (b: IoctlBuffer, i: object, optional?: string[]) => number;
    encode(old.buf, { cqe: 8, userHandle: 1, compVector: 0, moderationUsec: 250 }, ['moderation_usec']);
    expect(await old.ioctl()).toBe(0);
    expect(seen).toEqual({ has: false });
    encode(old.buf, { cqe: 8, userHandle: 1, compVector: 0, moderationUsec: 250 });
    expect(await old.ioctl()).toBe(-EPROTONOSUPPORT);
  });
});
