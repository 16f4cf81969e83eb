/**
 * A synthetic spec `factor` times the size of spec/: every type, extension, struct and
 * enum of core and mlx5 cloned factor - 1 times under new names and ids, each clone's
 * references renamed to its own clones, so that it resolves and generates like the real
 * one. Write commands (numbered by the kernel) are not cloned.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Json = Record<string, unknown>;

/** Core type ids stay below this (they go up to 19); clone k of core type t gets t + k * CORE_STRIDE. */
const CORE_STRIDE = 32;
/** mlx5's own types are 0x1000..0x1009; clone k gets id + k * DRIVER_STRIDE. */
const DRIVER_STRIDE = 16;

interface Names {
  types: Set<string>;
  actions: Set<string>;
  structs: Set<string>;
  enums: Set<string>;
}

function collect(folders: Json[][]): Names {
  const n: Names = { types: new Set(), actions: new Set(), structs: new Set(), enums: new Set() };
  for (const files of folders) {
    for (const f of files) {
      for (const t of (f.types ?? []) as Json[]) {
        n.types.add(t.name as string);
        for (const a of (t.actions ?? []) as Json[]) n.actions.add(a.name as string);
      }
      for (const x of (f.typeExtensions ?? []) as Json[]) for (const a of (x.actions ?? []) as Json[]) n.actions.add(a.name as string);
      for (const s of (f.structs ?? []) as Json[]) n.structs.add(s.name as string);
      for (const e of (f.enums ?? []) as Json[]) n.enums.add(e.name as string);
    }
  }
  return n;
}

/** A clone's renaming of every name the spec declares. */
class Renamer {
  constructor(
    private readonly n: Names,
    private readonly k: number,
  ) {}

  type(x: string): string {
    return this.n.types.has(x) ? `${x}_S${this.k}` : x;
  }

  action(x: string): string {
    return this.n.actions.has(x) ? `${x}_S${this.k}` : x;
  }

  named(x: string): string {
    return this.n.structs.has(x) || this.n.enums.has(x) ? `${x}_s${this.k}` : x;
  }

  /** "struct foo", "union foo", "struct foo[]", "struct foo[4]", or a plain name. */
  value(x: string): string {
    const m = /^(struct|union) ([A-Za-z0-9_]+)(\[\d*\])?$/.exec(x);
    return m ? `${m[1]} ${this.named(m[2]!)}${m[3] ?? ''}` : this.named(x);
  }

  attribute(a: Json): Json {
    const c: Json = { ...a };
    if (typeof c.object === 'string' && c.object !== '*') c.object = this.type(c.object);
    if (typeof c.value === 'string') c.value = this.value(c.value);
    if (typeof c.enum === 'string') c.enum = this.named(c.enum);
    if (typeof c.in === 'string') c.in = this.value(c.in);
    if (typeof c.out === 'string') c.out = this.value(c.out);
    if (Array.isArray(c.elements)) c.elements = (c.elements as Json[]).map((e) => ({ ...e, value: this.value(e.value as string) }));
    return c;
  }

  actionDecl(a: Json): Json {
    return {
      ...a,
      name: this.action(a.name as string),
      cName: `${a.cName as string}_S${this.k}`,
      handler: `${a.handler as string}S${this.k}`,
      attributes: (a.attributes as Json[]).map((x) => this.attribute(x)),
    };
  }

  typeDecl(t: Json, driverNs: boolean): Json {
    const id = t.id as number;
    return {
      ...t,
      name: this.type(t.name as string),
      cName: `${t.cName as string}_S${this.k}`,
      id: driverNs ? id + this.k * DRIVER_STRIDE : id + this.k * CORE_STRIDE,
      actions: ((t.actions ?? []) as Json[]).map((a) => this.actionDecl(a)),
    };
  }

  extension(x: Json): Json {
    const c: Json = { ...x, type: this.type(x.type as string) };
    if (Array.isArray(c.actions)) c.actions = (c.actions as Json[]).map((a) => this.actionDecl(a));
    if (Array.isArray(c.actionExtensions)) {
      c.actionExtensions = (c.actionExtensions as Json[]).map((e) => ({
        ...e,
        action: this.action(e.action as string),
        attributes: (e.attributes as Json[]).map((a) => this.attribute(a)),
      }));
    }
    return c;
  }

  struct(s: Json): Json {
    return {
      ...s,
      name: this.named(s.name as string),
      fields: (s.fields as Json[]).map((f) => {
        const c: Json = { ...f, type: this.value(f.type as string) };
        if (typeof c.enum === 'string') c.enum = this.named(c.enum);
        if (c.handle) c.handle = { ...(c.handle as Json), object: this.type((c.handle as Json).object as string) };
        return c;
      }),
    };
  }

  enumDecl(e: Json): Json {
    return { ...e, name: this.named(e.name as string), values: (e.values as Json[]).map((v) => ({ ...v, name: `${v.name as string}_S${this.k}` })) };
  }

  /** The clone of one spec file, or undefined when nothing in it is cloned. */
  file(f: Json): Json | undefined {
    const out: Json = { $schema: f.$schema };
    if (Array.isArray(f.types)) out.types = (f.types as Json[]).map((t) => this.typeDecl(t, (t.id as number) >= 0x1000));
    if (Array.isArray(f.typeExtensions)) out.typeExtensions = (f.typeExtensions as Json[]).map((x) => this.extension(x));
    if (Array.isArray(f.structs)) out.structs = (f.structs as Json[]).map((s) => this.struct(s));
    if (Array.isArray(f.enums)) out.enums = (f.enums as Json[]).map((e) => this.enumDecl(e));
    return Object.keys(out).length > 1 ? out : undefined;
  }
}

/** Writes the synthetic spec into a new temporary folder and returns its path. */
export function syntheticSpec(specRoot: string, factor: number, drivers = ['core', 'mlx5']): string {
  const root = mkdtempSync(join(tmpdir(), `uverbs-spec-x${factor}-`));
  const read = (d: string): [string, Json][] =>
    readdirSync(join(specRoot, d)).filter((f) => f.endsWith('.json')).sort().map((f) => [f, JSON.parse(readFileSync(join(specRoot, d, f), 'utf8')) as Json]);
  const byDriver = drivers.map((d) => [d, read(d)] as const);
  const names = collect(byDriver.map(([, files]) => files.map(([, j]) => j)));
  mkdirSync(join(root, 'schema'));
  writeFileSync(join(root, 'schema', 'uverbs-spec.schema.json'), readFileSync(join(specRoot, 'schema', 'uverbs-spec.schema.json')));
  for (const [d, files] of byDriver) {
    mkdirSync(join(root, d));
    for (const [name, json] of files) {
      if (json.driver) {
        const drv = json.driver as Json;
        const order = (drv.releaseOrder as string[]).flatMap((t) => [t, ...Array.from({ length: factor - 1 }, (_, i) => new Renamer(names, i + 1).type(t))]);
        writeFileSync(join(root, d, name), JSON.stringify({ ...json, driver: { ...drv, releaseOrder: order } }, null, 2));
        continue;
      }
      writeFileSync(join(root, d, name), JSON.stringify(json, null, 2));
      for (let k = 1; k < factor; k++) {
        const c = new Renamer(names, k).file(json);
        if (c) writeFileSync(join(root, d, name.replace(/\.json$/, `.s${k}.json`)), JSON.stringify(c, null, 2));
      }
    }
  }
  return root;
}
