/**
 * `uverbs-abi model --json` lists every type, action and attribute id that rdma-core's
 * kernel-headers/rdma/ib_user_ioctl_cmds.h (core) and mlx5_user_ioctl_cmds.h (mlx5)
 * declare, under the same C name and number. The fixtures hold those names and numbers
 * (facts of the ABI, extracted from the headers).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

interface Ids { objects: Record<string, number>; methods: Record<string, number>; attributes: Record<string, number> }
interface ModelJson {
  drivers: { name: string; types: { cName: string; id: number; actions: { cName: string; id: number; attributes: { cName: string; id: number }[] }[] }[] }[];
}

const targets = [
  { driver: 'core', header: 'ib_user_ioctl_cmds.h', objects: 20 },
  { driver: 'mlx5', header: 'mlx5_user_ioctl_cmds.h', objects: 10 },
];

describe.each(targets)('the $driver spec covers $header', async ({ driver, header: file, objects }) => {
  const header = JSON.parse(readFileSync(`test/fixtures/${file.replace(/\.h$/, '.ids.json')}`, 'utf8')) as Ids;
  const r = await runCli(['model', '--json', '--driver', driver]);
  const core = (JSON.parse(r.out) as ModelJson).drivers[0]!;
  const own = (n: string): boolean => driver === 'core' || !n.startsWith('UVERBS_');
  const types = new Map(core.types.map((t) => [t.cName, t.id]));
  const actions = new Map(core.types.flatMap((t) => t.actions.map((a) => [a.cName, a.id] as const)));
  const attrs = new Map<string, Set<number>>();
  for (const a of core.types.flatMap((t) => t.actions.flatMap((x) => x.attributes))) {
    attrs.set(a.cName, (attrs.get(a.cName) ?? new Set()).add(a.id));
  }

  it(`every object type, with its id (${objects} of them)`, () => {
    expect(Object.keys(header.objects)).toHaveLength(objects);
    for (const [name, id] of Object.entries(header.objects)) expect([name, types.get(name)]).toEqual([name, id]);
    expect(core.types.filter((t) => own(t.cName))).toHaveLength(objects);
  });

  it('every method, with its id', () => {
    for (const [name, id] of Object.entries(header.methods)) expect([name, actions.get(name)]).toEqual([name, id]);
  });

  it('every attribute, with its id', () => {
    for (const [name, id] of Object.entries(header.attributes)) {
      expect([name, attrs.has(name) && attrs.get(name)!.has(id)]).toEqual([name, true]);
    }
  });

  it('nothing the header does not declare', () => {
    const known = new Set(Object.keys(header.attributes));
    const extra = [...attrs.keys()].filter((n) => own(n) && !known.has(n));
    expect(extra).toEqual([]);
  });
});
