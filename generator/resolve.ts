/**
 * The resolve step: validated JSON in, typed model out. It merges each driver onto the
 * driver it extends (a driver only adds), computes sizes and struct layouts, and runs
 * every check a schema cannot express. All problems are collected, then thrown at once.
 */
import { Problems, pointer } from './errors.js';
import { layOutStruct, offsetOfEnd } from './layout.js';
import type { SpecFile, SpecFolder } from './load.js';
import {
  LEN_UNLIMITED, UHW_IN, UHW_OUT, camelCase, pascalCase, valueSize,
  type Access, type ActionModel, type AttrModel, type DriverModel, type EnumElementModel, type EnumModel,
  type FieldType, type Model, type Origin, type Scalar, type ScalarOrStruct, type StructModel,
  type TypeModel, type ValueModel, type WriteCommandModel,
} from './model.js';
import type {
  ActionJson, AttributeJson, DriverJson, EnumJson, SizesJson, SpecFileJson, StructJson, TypeJson,
} from './spec-json.js';
import { checkDriver } from './checks.js';

/** Ids from 0x1000 belong to the driver namespace (UVERBS_ID_DRIVER_NS). */
export const DRIVER_NS = 0x1000;

interface RawDriver {
  folder: SpecFolder;
  decl: DriverJson;
  declOrigin: Origin;
  files: { path: string; json: SpecFileJson }[];
}

export function resolve(folders: readonly SpecFolder[], problems: Problems): Model {
  const raws = findDrivers(folders, problems);
  const ordered = orderByExtends(raws, problems);
  const drivers: DriverModel[] = [];
  const byName = new Map<string, DriverModel>();
  for (const raw of ordered) {
    const base = raw.decl.extends === undefined ? undefined : byName.get(raw.decl.extends);
    if (raw.decl.extends !== undefined && base === undefined) continue; // reported by orderByExtends
    const d = new DriverResolver(raw, base, problems).resolve();
    checkDriver(d, base, problems);
    drivers.push(d);
    byName.set(d.name, d);
  }
  problems.throwIfAny();
  return { drivers };
}

function findDrivers(folders: readonly SpecFolder[], problems: Problems): RawDriver[] {
  const raws: RawDriver[] = [];
  for (const folder of folders) {
    const files = folder.files.map((f: SpecFile) => ({ path: f.path, json: f.json as SpecFileJson }));
    const decls = files.filter((f) => f.json.driver !== undefined);
    if (decls.length !== 1) {
      problems.add(decls[1]?.path ?? folder.path, decls.length > 1 ? '/driver' : '',
        decls.length === 0 ? `the driver folder "${folder.name}" has no file with a "driver" section`
          : `the driver folder "${folder.name}" declares "driver" in more than one file (${decls.map((d) => d.path).join(', ')})`,
        'declare the driver once, in driver.json');
      continue;
    }
    const declFile = decls[0]!;
    const decl = declFile.json.driver!;
    if (decl.name !== folder.name) {
      problems.add(declFile.path, '/driver/name', `the driver is named "${decl.name}" but its folder is "${folder.name}"`,
        `rename the folder to spec/${decl.name} or set "name" to "${folder.name}"`);
    }
    raws.push({ folder, decl, declOrigin: { file: declFile.path, pointer: '/driver' }, files });
  }
  return raws;
}

/** Base drivers first; an unknown base or a cycle is an error. */
function orderByExtends(raws: RawDriver[], problems: Problems): RawDriver[] {
  const byName = new Map(raws.map((r) => [r.decl.name, r]));
  const out: RawDriver[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (r: RawDriver): void => {
    const s = state.get(r.decl.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      problems.add(r.declOrigin.file, '/driver/extends', `driver "${r.decl.name}" extends itself through a cycle`, 'make the chain of "extends" end at core');
      return;
    }
    state.set(r.decl.name, 'visiting');
    if (r.decl.extends !== undefined) {
      const base = byName.get(r.decl.extends);
      if (base === undefined) {
        problems.add(r.declOrigin.file, '/driver/extends', `extends "${r.decl.extends}", which no spec folder declares`,
          `name one of: ${[...byName.keys()].join(', ')}`);
      } else visit(base);
    }
    state.set(r.decl.name, 'done');
    out.push(r);
  };
  for (const r of [...raws].sort((a, b) => a.decl.name.localeCompare(b.decl.name))) visit(r);
  return out;
}

class DriverResolver {
  private readonly name: string;
  private readonly structs = new Map<string, StructModel>();
  private readonly enums = new Map<string, EnumModel>();
  private readonly ownStructs: StructModel[] = [];
  private readonly ownEnums: EnumModel[] = [];

  constructor(
    private readonly raw: RawDriver,
    private readonly base: DriverModel | undefined,
    private readonly problems: Problems,
  ) {
    this.name = raw.decl.name;
    for (const s of base?.structs ?? []) this.structs.set(s.name, s);
    for (const e of base?.enums ?? []) this.enums.set(e.name, e);
  }

  resolve(): DriverModel {
    this.resolveEnums();
    this.resolveStructs();
    const types = this.resolveTypes();
    const writeCommands = this.resolveWriteCommands();
    const decl = this.raw.decl;
    const releaseOrder: TypeModel[] = [];
    decl.releaseOrder.forEach((n, i) => {
      const t = types.find((x) => x.name === n);
      if (t === undefined) {
        this.problems.add(this.raw.declOrigin.file, pointer('/driver/releaseOrder', i), `names type "${n}", which this driver's view does not have`,
          `remove it, or declare the type; types here: ${types.map((x) => x.name).join(', ')}`);
      } else releaseOrder.push(t);
    });
    return {
      name: decl.name,
      doc: decl.doc,
      driverId: decl.driverId,
      ...(decl.extends !== undefined ? { extends: decl.extends } : {}),
      types,
      structs: [...(this.base?.structs ?? []), ...this.ownStructs],
      enums: [...(this.base?.enums ?? []), ...this.ownEnums],
      writeCommands: [...(this.base?.writeCommands ?? []), ...writeCommands],
      releaseOrder,
      origin: this.raw.declOrigin,
    };
  }

  // ---- enums ---------------------------------------------------------------

  private resolveEnums(): void {
    for (const f of this.raw.files) {
      f.json.enums?.forEach((e: EnumJson, i) => {
        const origin = { file: f.path, pointer: pointer('/enums', i) };
        const prior = this.enums.get(e.name);
        if (prior) {
          this.problems.add(f.path, pointer(origin.pointer, 'name'), `enum ${e.name} is declared twice (also at ${prior.origin.file}#${prior.origin.pointer})`,
            'keep one declaration; a driver cannot redefine an enum of the driver it extends');
          return;
        }
        const names = new Set<string>();
        let mask = 0n;
        const values = e.values.map((v, j) => {
          if (names.has(v.name)) {
            this.problems.add(f.path, pointer(origin.pointer, 'values', j, 'name'), `enum value ${v.name} appears twice in ${e.name}`, 'remove the repeated value');
          }
          names.add(v.name);
          const value = typeof v.value === 'string' ? BigInt(v.value) : BigInt(v.value);
          mask |= value >= 0n ? value : 0n;
          return { name: v.name, value, ...(v.doc !== undefined ? { doc: v.doc } : {}) };
        });
        const model: EnumModel = {
          name: e.name, tsName: pascalCase(e.name), doc: e.doc, flags: e.flags, values, mask, driver: this.name, origin,
        };
        this.enums.set(e.name, model);
        this.ownEnums.push(model);
      });
    }
  }

  private enumRef(name: string, origin: Origin, at: string): EnumModel | undefined {
    return this.found('enum', name, this.enums.get(name), origin, at);
  }

  /** `found`, or a report that the named enum or struct is not declared. */
  private found<T>(what: 'enum' | 'struct', name: string, found: T | undefined, origin: Origin, at: string): T | undefined {
    if (found === undefined) {
      this.problems.add(origin.file, at === '' ? origin.pointer : pointer(origin.pointer, at), `refers to ${what} "${name}", which is not declared`,
        `declare ${what} ${name} in an "${what}s" section of this driver (or of the driver it extends), or correct the name`);
    }
    return found;
  }

  private optionalEnum(name: string | undefined, origin: Origin): { enum?: EnumModel } {
    const e = name === undefined ? undefined : this.enumRef(name, origin, 'enum');
    return e ? { enum: e } : {};
  }

  // ---- structs -------------------------------------------------------------

  private resolveStructs(): void {
    const pending = new Map<string, { json: StructJson; origin: Origin }>();
    for (const f of this.raw.files) {
      f.json.structs?.forEach((s, i) => {
        const origin = { file: f.path, pointer: pointer('/structs', i) };
        const prior = this.structs.get(s.name) ?? (pending.has(s.name) ? { origin: pending.get(s.name)!.origin } : undefined);
        if (prior) {
          this.problems.add(f.path, pointer(origin.pointer, 'name'), `struct ${s.name} is declared twice (also at ${prior.origin.file}#${prior.origin.pointer})`,
            'keep one declaration; a driver cannot redefine a struct of the driver it extends');
          return;
        }
        pending.set(s.name, { json: s, origin });
      });
    }
    const visiting = new Set<string>();
    const build = (name: string): StructModel | undefined => {
      const done = this.structs.get(name);
      if (done) return done;
      const p = pending.get(name);
      if (!p) return undefined;
      if (visiting.has(name)) {
        this.problems.add(p.origin.file, p.origin.pointer, `struct ${name} contains itself`, 'a struct can hold a pointer (u64) to its own kind, not itself');
        return undefined;
      }
      visiting.add(name);
      const s: StructModel = {
        name, tsName: pascalCase(name), doc: p.json.doc, union: p.json.union === true, size: 0, align: 1, fields: [],
        driver: this.name, origin: p.origin,
      };
      const seen = new Set<string>();
      p.json.fields.forEach((fj, i) => {
        const at = pointer(p.origin.pointer, 'fields', i);
        if (seen.has(fj.name)) this.problems.add(p.origin.file, pointer(at, 'name'), `field "${fj.name}" appears twice in struct ${name}`, 'rename or remove one');
        seen.add(fj.name);
        const type = this.fieldType(fj.type, { file: p.origin.file, pointer: pointer(at, 'type') }, build);
        if (!type) return;
        s.fields.push({
          name: fj.name, tsName: camelCase(fj.name), type, offset: fj.offset, size: 0,
          ...this.optionalEnum(fj.enum, { file: p.origin.file, pointer: at }),
          ...(fj.handle !== undefined ? { handle: fj.handle } : {}),
          ...(fj.doc !== undefined ? { doc: fj.doc } : {}),
        });
      });
      if (s.fields.length === p.json.fields.length) {
        layOutStruct(s, { size: p.json.size, offsets: p.json.fields.map((f) => f.offset) }, this.problems);
      }
      visiting.delete(name);
      this.structs.set(name, s);
      this.ownStructs.push(s);
      return s;
    };
    for (const name of pending.keys()) build(name);
  }

  private fieldType(text: string, origin: Origin, build: (n: string) => StructModel | undefined): FieldType | undefined {
    const m = /^(?:(u8|u16|u32|u64|s8|s16|s32|s64)|(?:struct|union) ([a-z_][a-z0-9_]*))(?:\[(\d*)\])?$/.exec(text)!;
    let element: ScalarOrStruct;
    if (m[1] !== undefined) element = { kind: 'scalar', scalar: m[1] as Scalar };
    else {
      const s = this.found('struct', m[2]!, build(m[2]!), origin, '');
      if (!s) return undefined;
      element = { kind: 'struct', struct: s };
    }
    if (m[3] === undefined) return element;
    if (m[3] === '') return { kind: 'flex', element };
    return { kind: 'array', element, count: Number(m[3]) };
  }

  private structRef(name: string, origin: Origin, at: string): StructModel | undefined {
    return this.found('struct', name, this.structs.get(name), origin, at);
  }

  private value(text: string, origin: Origin, at: string): ValueModel | undefined {
    if (text === 'bytes') return { kind: 'bytes' };
    const m = /^(?:(u8|u16|u32|u64|s8|s16|s32|s64)|struct ([a-z_][a-z0-9_]*))(\[\])?$/.exec(text)!;
    let element: ScalarOrStruct;
    if (m[1] !== undefined) element = { kind: 'scalar', scalar: m[1] as Scalar };
    else {
      const s = this.structRef(m[2]!, origin, at);
      if (!s) return undefined;
      element = { kind: 'struct', struct: s };
    }
    return m[3] !== undefined ? { kind: 'array', element } : element;
  }

  // ---- types, actions, attributes -----------------------------------------

  private resolveTypes(): TypeModel[] {
    const types: TypeModel[] = (this.base?.types ?? []).map((t) => ({ ...t, actions: t.actions.map((a) => ({ ...a, attributes: [...a.attributes] })) }));
    const isDriver = this.base !== undefined;
    for (const f of this.raw.files) {
      f.json.types?.forEach((tj: TypeJson, i) => {
        const origin = { file: f.path, pointer: pointer('/types', i) };
        this.checkNamespace(tj.id, isDriver, origin, `type ${tj.name}`);
        const clash = types.find((t) => t.name === tj.name || t.id === tj.id);
        if (clash) {
          this.problems.add(f.path, pointer(origin.pointer, clash.name === tj.name ? 'name' : 'id'),
            `type ${tj.name} (id ${hex(tj.id)}) clashes with type ${clash.name} (id ${hex(clash.id)}) at ${clash.origin.file}#${clash.origin.pointer}`,
            clash.driver !== this.name ? 'a driver only adds: give its own types new names and ids from 0x1000, and extend core types with "typeExtensions"'
              : 'give each type a unique name and id');
          return;
        }
        const type: TypeModel = {
          name: tj.name, tsName: pascalCase(tj.name), cName: tj.cName, id: tj.id, kind: tj.kind, doc: tj.doc, actions: [],
          driver: this.name, origin,
        };
        tj.actions.forEach((aj, k) => this.addAction(type, aj, { file: f.path, pointer: pointer(origin.pointer, 'actions', k) }, isDriver));
        types.push(type);
      });
    }
    for (const f of this.raw.files) {
      f.json.typeExtensions?.forEach((xj, i) => {
        const origin = { file: f.path, pointer: pointer('/typeExtensions', i) };
        if (!isDriver) {
          this.problems.add(f.path, origin.pointer, `driver "${this.name}" extends no driver, so it has nothing to extend`,
            'declare the actions in the type itself, or set "extends" in driver.json');
          return;
        }
        const type = types.find((t) => t.name === xj.type && t.driver !== this.name);
        if (!type) {
          this.problems.add(f.path, pointer(origin.pointer, 'type'), `extends type "${xj.type}", which driver "${this.raw.decl.extends}" does not declare`,
            `name one of: ${(this.base?.types ?? []).map((t) => t.name).join(', ')}`);
          return;
        }
        xj.actions?.forEach((aj, k) => this.addAction(type, aj, { file: f.path, pointer: pointer(origin.pointer, 'actions', k) }, true));
        xj.actionExtensions?.forEach((ej, k) => {
          const at = { file: f.path, pointer: pointer(origin.pointer, 'actionExtensions', k) };
          const idx = type.actions.findIndex((a) => a.name === ej.action);
          const action = type.actions[idx];
          if (!action || action.driver === this.name) {
            this.problems.add(f.path, pointer(at.pointer, 'action'), `extends action "${ej.action}" of type ${type.name}, which does not exist there`,
              `name one of: ${type.actions.filter((a) => a.driver !== this.name).map((a) => a.name).join(', ') || '(the type has no actions)'}`);
            return;
          }
          const extended: ActionModel = { ...action, attributes: [...action.attributes] };
          type.actions[idx] = extended;
          ej.attributes.forEach((atj, n) => this.addAttribute(extended, atj, { file: f.path, pointer: pointer(at.pointer, 'attributes', n) }, true));
          this.finishAction(extended);
        });
      });
    }
    for (const t of types) t.actions.sort((a, b) => a.id - b.id);
    types.sort((a, b) => a.id - b.id);
    return types;
  }

  private checkNamespace(id: number, driverNs: boolean, origin: Origin, what: string): void {
    if (driverNs && id < DRIVER_NS) {
      this.problems.add(origin.file, pointer(origin.pointer, 'id'), `${what} has id ${hex(id)}, in the core namespace, but driver "${this.name}" declares it`,
        'driver ids start at 0x1000 (UVERBS_ID_DRIVER_NS); attributes a driver adds to a core action start at 0x1002 (after UHW_IN/UHW_OUT)');
    } else if (!driverNs && id >= DRIVER_NS) {
      this.problems.add(origin.file, pointer(origin.pointer, 'id'), `${what} has id ${hex(id)}, in the driver namespace, but "${this.name}" is the core`,
        'core ids are below 0x1000; ids from 0x1000 belong to drivers');
    }
  }

  private addAction(type: TypeModel, aj: ActionJson, origin: Origin, driverNs: boolean): void {
    this.checkNamespace(aj.id, driverNs, origin, `action ${aj.name}`);
    const clash = type.actions.find((a) => a.name === aj.name || a.id === aj.id);
    if (clash) {
      this.problems.add(origin.file, pointer(origin.pointer, clash.name === aj.name ? 'name' : 'id'),
        `action ${aj.name} (id ${hex(aj.id)}) of type ${type.name} clashes with action ${clash.name} (id ${hex(clash.id)}) at ${clash.origin.file}#${clash.origin.pointer}`,
        clash.driver !== this.name ? 'a driver only adds: use "actionExtensions" to add attributes to an existing action, or a new name and an id from 0x1000'
          : 'give each action of a type a unique name and id');
      return;
    }
    const action: ActionModel = {
      name: aj.name, tsName: camelCase(aj.name), cName: aj.cName, id: aj.id, doc: aj.doc, handler: aj.handler,
      attributes: [], encodeOrder: [], driver: this.name, origin,
    };
    aj.attributes.forEach((atj, i) => this.addAttribute(action, atj, { file: origin.file, pointer: pointer(origin.pointer, 'attributes', i) }, driverNs));
    this.finishAction(action, aj.encodeOrder, origin);
    type.actions.push(action);
  }

  /** Sorts by id, numbers the slots, and fixes the encode order. */
  private finishAction(action: ActionModel, encodeOrder?: string[], origin?: Origin): void {
    action.attributes.sort((a, b) => a.id - b.id);
    action.attributes = action.attributes.map((a, i) => ({ ...a, index: i }));
    const listed: AttrModel[] = [];
    encodeOrder?.forEach((n, i) => {
      const a = action.attributes.find((x) => x.name === n);
      if (!a) {
        this.problems.add(origin!.file, pointer(origin!.pointer, 'encodeOrder', i), `names attribute "${n}", which action ${action.name} does not have`,
          `use attribute names of ${action.name}: ${action.attributes.map((x) => x.name).join(', ')}`);
      } else listed.push(a);
    });
    const previous = action.encodeOrder.length > 0 ? action.encodeOrder.map((a) => a.name) : listed.map((a) => a.name);
    const first = previous.map((n) => action.attributes.find((a) => a.name === n)!).filter((a) => a !== undefined);
    const rest = action.attributes.filter((a) => !first.includes(a));
    const own = rest.filter((a) => a.driver === action.driver && !a.isUdata);
    const udata = rest.filter((a) => a.isUdata);
    const ext = rest.filter((a) => a.driver !== action.driver && !a.isUdata);
    action.encodeOrder = [...first, ...own, ...udata, ...ext];
  }

  private addAttribute(action: ActionModel, aj: AttributeJson, origin: Origin, driverNs: boolean): void {
    const built = this.buildAttributes(aj, origin, driverNs);
    const typesUhw = aj.kind === 'uhw' && action.driver !== this.name;
    if (typesUhw && !action.attributes.some((x) => x.isUdata)) {
      this.problems.add(origin.file, origin.pointer, `action ${action.name} has no UHW (UVERBS_ATTR_UHW) to type`,
        'remove the uhw entry: the driver can only describe driver data the core action already carries');
      return;
    }
    for (const a of built) {
      if (typesUhw) {
        // A driver's uhw entry on a core action names its request/response structs; the attributes stay the core's.
        const i = action.attributes.findIndex((x) => x.id === a.id);
        action.attributes[i] = { ...action.attributes[i]!, value: a.value!, doc: `${action.attributes[i]!.doc} ${this.name}: ${aj.doc}` };
        continue;
      }
      const clash = action.attributes.find((x) => x.name === a.name || x.id === a.id);
      if (clash) {
        const same = clash.name === a.name ? 'name' : 'id';
        this.problems.add(origin.file, aj.kind === 'uhw' ? origin.pointer : pointer(origin.pointer, same),
          `attribute ${a.name} (id ${hex(a.id)}) of action ${action.name} clashes with attribute ${clash.name} (id ${hex(clash.id)}) at ${clash.origin.file}#${clash.origin.pointer}`,
          clash.driver !== this.name ? `a driver only adds: it cannot redefine a core attribute; give the new attribute an unused id from ${hex(0x1002)} and a new name`
            : 'give each attribute of an action a unique name and id');
        continue;
      }
      action.attributes.push(a);
    }
  }

  private buildAttributes(aj: AttributeJson, origin: Origin, driverNs: boolean): AttrModel[] {
    const base = { driver: this.name, index: 0, allocAndCopy: false, isUdata: false, zeroTrailing: false, origin };
    if (aj.kind === 'uhw') {
      const inValue = aj.in !== undefined ? this.value(aj.in, origin, 'in') : { kind: 'bytes' as const };
      const outValue = aj.out !== undefined ? this.value(aj.out, origin, 'out') : { kind: 'bytes' as const };
      const udata = { ...base, mandatory: false, isUdata: true, len: LEN_UNLIMITED, minLen: 0 };
      return [
        { ...udata, name: 'uhw_in', tsName: 'uhwIn', cName: 'UVERBS_ATTR_UHW_IN', id: UHW_IN, kind: 'ptr_in', doc: `${aj.doc} (request)`, ...(inValue ? { value: inValue } : {}) },
        { ...udata, name: 'uhw_out', tsName: 'uhwOut', cName: 'UVERBS_ATTR_UHW_OUT', id: UHW_OUT, kind: 'ptr_out', doc: `${aj.doc} (response)`, ...(outValue ? { value: outValue } : {}) },
      ];
    }
    this.checkNamespace(aj.id, driverNs, origin, `attribute ${aj.name}`);
    const common = { ...base, name: aj.name, tsName: camelCase(aj.name), cName: aj.cName, id: aj.id, kind: aj.kind, doc: aj.doc, mandatory: aj.mandatory };
    switch (aj.kind) {
      case 'ptr_in':
      case 'ptr_out': {
        const value = this.value(aj.value, origin, 'value');
        if (!value) return [];
        const sizes = this.sizes(value, aj, origin);
        return [{
          ...common, ...sizes, value, allocAndCopy: aj.allocAndCopy === true,
          ...this.optionalEnum(aj.enum, origin),
        }];
      }
      case 'const_in':
        return [{
          ...common, value: { kind: 'scalar', scalar: aj.value as Scalar }, len: 8, minLen: 8,
          ...this.optionalEnum(aj.enum, origin),
          ...(aj.default !== undefined ? { defaultValue: aj.default } : {}),
        }];
      case 'flags_in': {
        const e = this.enumRef(aj.enum, origin, 'enum');
        if (e && !e.flags) {
          this.problems.add(origin.file, pointer(origin.pointer, 'enum'), `flags_in needs a flag set, but enum ${e.name} is not one ("flags": false)`,
            `set "flags": true on enum ${e.name} if its values are bits, or use const_in for a single value`);
        }
        return [{ ...common, value: { kind: 'scalar', scalar: aj.value ?? 'u32' }, len: 8, minLen: 4, ...(e ? { enum: e } : {}) }];
      }
      case 'enum_in': {
        const elements: EnumElementModel[] = [];
        aj.elements.forEach((ej, i) => {
          const at = { file: origin.file, pointer: pointer(origin.pointer, 'elements', i) };
          const clash = elements.find((x) => x.id === ej.id || x.name === ej.name);
          if (clash) {
            this.problems.add(at.file, pointer(at.pointer, clash.id === ej.id ? 'id' : 'name'), `element ${ej.name} (id ${ej.id}) clashes with element ${clash.name} (id ${clash.id})`,
              'give each element a unique name and id');
            return;
          }
          const value = this.value(ej.value, at, 'value');
          if (!value) return;
          elements.push({ name: ej.name, tsName: camelCase(ej.name), cName: ej.cName, id: ej.id, doc: ej.doc, value, ...this.sizes(value, ej, at) });
        });
        elements.sort((a, b) => a.id - b.id);
        return [{ ...common, len: LEN_UNLIMITED, minLen: 0, elements }];
      }
      case 'idr':
      case 'fd':
        return [{ ...common, len: 0, minLen: 0, object: aj.object, access: aj.access }];
      case 'raw_fd':
        return [{ ...common, len: 0, minLen: 0 }];
      case 'idrs_array':
        if (aj.minCount > aj.maxCount) {
          this.problems.add(origin.file, pointer(origin.pointer, 'minCount'), `minCount ${aj.minCount} is larger than maxCount ${aj.maxCount}`, 'make minCount <= maxCount');
        }
        return [{
          ...common, value: { kind: 'array', element: { kind: 'scalar', scalar: 'u32' } }, len: 4 * aj.maxCount, minLen: 4 * aj.minCount,
          object: aj.object, access: aj.access as Access, minCount: aj.minCount, maxCount: aj.maxCount,
        }];
    }
  }

  /** len/minLen/zeroTrailing of a pointer attribute or enum element, with UVERBS_ATTR_TYPE/STRUCT/MIN_SIZE defaults. */
  private sizes(value: ValueModel, j: SizesJson, origin: Origin): { len: number; minLen: number; zeroTrailing: boolean } {
    const size = valueSize(value);
    let len = j.len ?? size ?? LEN_UNLIMITED;
    let minLen = j.minLen ?? (size ?? 0);
    let zeroTrailing = j.zeroTrailing ?? false;
    if (j.last !== undefined) {
      if (value.kind !== 'struct') {
        this.problems.add(origin.file, pointer(origin.pointer, 'last'), `"last" needs a struct value, but the value is ${value.kind}`,
          'remove "last", or make the value a struct');
      } else {
        const end = offsetOfEnd(value.struct, j.last);
        if (end === undefined) {
          this.problems.add(origin.file, pointer(origin.pointer, 'last'), `struct ${value.struct.name} has no field "${j.last}"`,
            `name one of: ${value.struct.fields.map((f) => f.name).join(', ')}`);
        } else {
          if (j.minLen !== undefined && j.minLen !== end) {
            this.problems.add(origin.file, pointer(origin.pointer, 'minLen'), `minLen ${j.minLen} disagrees with "last": "${j.last}", which ends at ${end}`,
              'remove minLen; "last" sets it');
          }
          minLen = end;
          zeroTrailing = j.zeroTrailing ?? true;
        }
      }
    }
    if (minLen > len) {
      this.problems.add(origin.file, pointer(origin.pointer, j.minLen !== undefined ? 'minLen' : 'len'), `minLen ${minLen} is larger than len ${len}`,
        'make minLen <= len (len is the most the kernel accepts, minLen the least)');
      len = Math.max(len, minLen);
    }
    if (size !== undefined && j.len !== undefined && j.len < size && j.len !== 0) {
      this.problems.add(origin.file, pointer(origin.pointer, 'len'), `len ${j.len} is smaller than the value's size ${size}`,
        `remove len (it defaults to ${size}) or use minLen for a shorter accepted prefix`);
    }
    if (size !== undefined && size > LEN_UNLIMITED) {
      this.problems.add(origin.file, pointer(origin.pointer, 'value'), `the value is ${size} bytes, more than an attribute can carry (65535)`, 'use a smaller struct');
    }
    return { len, minLen: Math.min(minLen, len), zeroTrailing };
  }

  // ---- write() commands ----------------------------------------------------

  private resolveWriteCommands(): WriteCommandModel[] {
    const out: WriteCommandModel[] = [];
    for (const f of this.raw.files) {
      f.json.writeCommands?.forEach((w, i) => {
        const origin = { file: f.path, pointer: pointer('/writeCommands', i) };
        const request = this.structRef(w.request, origin, 'request');
        const response = w.response !== undefined ? this.structRef(w.response, origin, 'response') : undefined;
        if (!request) return;
        const requestMinLen = this.writeMinLen(request, w.requestLast, origin, 'requestLast');
        let responseMinLen = response?.size ?? 0;
        if (w.responseLast !== undefined) {
          if (w.response === undefined) {
            this.problems.add(origin.file, pointer(origin.pointer, 'responseLast'), `"responseLast" needs a response, but command ${w.name} has none`,
              'remove "responseLast", or name the response struct in "response"');
          } else if (response) responseMinLen = this.writeMinLen(response, w.responseLast, origin, 'responseLast');
        }
        out.push({
          name: w.name, tsName: camelCase(w.name), cName: w.cName, command: w.command, extended: w.extended, doc: w.doc,
          ...(w.handler !== undefined ? { handler: w.handler } : {}), request, requestMinLen, ...(response ? { response } : {}), responseMinLen,
          ...(w.creates !== undefined ? { creates: w.creates } : {}), ...(w.destroys !== undefined ? { destroys: w.destroys } : {}),
          driverData: w.driverData === true, driver: this.name, origin,
        });
      });
    }
    return out;
  }

  /** offsetofend(struct, last) for UAPI_DEF_WRITE_IO_EX's minimum sizes; the whole struct without `last`. */
  private writeMinLen(s: StructModel, last: string | undefined, origin: Origin, key: 'requestLast' | 'responseLast'): number {
    if (last === undefined) return s.size;
    const end = offsetOfEnd(s, last);
    if (end === undefined) {
      this.problems.add(origin.file, pointer(origin.pointer, key), `struct ${s.name} has no field "${last}"`,
        `name one of: ${s.fields.map((f) => f.name).join(', ')}`);
      return s.size;
    }
    return end;
  }
}

export function hex(n: number): string {
  return '0x' + n.toString(16);
}

