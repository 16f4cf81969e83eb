/**
 * Semantic checks over a resolved driver view: what the JSON Schema cannot say.
 * Names and ids within a scope, namespaces and sizes are checked while resolving;
 * here: references between types, new/destroy rules, handlers, release order.
 */
import { Problems, pointer } from './errors.js';
import type { ActionModel, AttrModel, DriverModel, TypeModel } from './model.js';

export function checkDriver(d: DriverModel, base: DriverModel | undefined, problems: Problems): void {
  const types = new Map(d.types.map((t) => [t.name, t]));
  const handlers = new Map<string, { action: ActionModel; type: TypeModel }>();
  const own = (x: { driver: string }): boolean => x.driver === d.name;

  const actionNames = new Map<string, TypeModel>();
  for (const t of d.types) {
    for (const a of t.actions) {
      const other = actionNames.get(a.name);
      if (other && own(a)) {
        problems.add(a.origin.file, pointer(a.origin.pointer, 'name'), `action name ${a.name} is also an action of type ${other.name}`,
          'action names are unique across a driver (generated encoders and ids are named after them): prefix it with the type, as Linux does');
      }
      actionNames.set(a.name, t);
      if (own(a)) {
        const prior = handlers.get(a.handler);
        if (prior) {
          problems.add(a.origin.file, pointer(a.origin.pointer, 'handler'),
            `handler "${a.handler}" of ${t.name}.${a.name} is already the handler of ${prior.type.name}.${prior.action.name}`,
            prior.action.driver !== d.name ? 'a driver cannot redefine a core handler: name its own handler' : 'give every action its own handler name');
        }
      }
      handlers.set(a.handler, { action: a, type: t });
      let creating: AttrModel | undefined;
      for (const attr of a.attributes) {
        if (own(attr)) checkObjectRef(attr, types, problems);
        if (attr.access !== 'new' && attr.access !== 'destroy') continue;
        if (creating && own(attr)) {
          problems.add(attr.origin.file, pointer(attr.origin.pointer, 'access'),
            `action ${a.name} already has a ${creating.access} attribute (${creating.name}); an action creates or destroys at most one object`,
            'make this attribute read or write access, or split the action');
        }
        creating ??= attr;
        if (!attr.mandatory && own(attr)) {
          problems.add(attr.origin.file, pointer(attr.origin.pointer, 'mandatory'), `the ${attr.access} attribute ${attr.name} of ${a.name} is optional`,
            'set "mandatory": true: the object an action creates or destroys must be named');
        }
      }
    }
  }
  checkReleaseOrder(d, base, problems);
  for (const w of d.writeCommands) {
    if (!own(w)) continue;
    for (const [key, name] of [['creates', w.creates], ['destroys', w.destroys]] as const) {
      if (name !== undefined && !types.has(name)) {
        problems.add(w.origin.file, pointer(w.origin.pointer, key), `names type "${name}", which this driver's view does not have`,
          `use one of: ${[...types.keys()].join(', ')}`);
      }
    }
    for (const s of [w.request, w.response]) {
      s?.fields.forEach((f, i) => {
        if (f.handle && !types.has(f.handle.object)) {
          problems.add(s.origin.file, pointer(s.origin.pointer, 'fields', i, 'handle', 'object'), `names type "${f.handle.object}", which this driver's view does not have`,
            `use one of: ${[...types.keys()].join(', ')}`);
        }
      });
    }
  }
}

function checkObjectRef(attr: AttrModel, types: Map<string, TypeModel>, problems: Problems): void {
  if (attr.object === undefined) return;
  const at = pointer(attr.origin.pointer, 'object');
  if (attr.object === '*') {
    if (attr.access === 'new' || attr.kind !== 'idr') {
      problems.add(attr.origin.file, at, `"*" (any object) cannot be ${attr.kind !== 'idr' ? `a ${attr.kind} attribute's type` : 'created'}`,
        'name the object type; UVERBS_IDR_ANY_OBJECT is for idr attributes with read or destroy access');
    }
    return;
  }
  const t = types.get(attr.object);
  if (!t) {
    problems.add(attr.origin.file, at, `refers to object type "${attr.object}", which is not declared`,
      `use one of: ${[...types.keys()].join(', ')}`);
    return;
  }
  const want = attr.kind === 'fd' ? 'fd' : 'idr';
  if (t.kind !== want) {
    problems.add(attr.origin.file, at, `a ${attr.kind} attribute needs a type of kind ${want}, but ${t.name} is of kind ${t.kind}`,
      t.kind === 'device' ? 'the device itself has no instances; remove the attribute' : `use kind "${t.kind === 'fd' ? 'fd' : 'idr'}" for this attribute`);
  }
}

/** Which types hold which: an action that creates A while reading or writing B makes A hold B. */
export function holds(d: DriverModel): { holder: string; held: string; via: string }[] {
  const out: { holder: string; held: string; via: string }[] = [];
  for (const t of d.types) {
    for (const a of t.actions) {
      const created = a.attributes.find((x) => x.access === 'new');
      if (!created?.object || created.object === '*') continue;
      for (const x of a.attributes) {
        if (x === created || x.object === undefined || x.object === '*' || x.object === created.object) continue;
        if (x.access === 'read' || x.access === 'write') out.push({ holder: created.object, held: x.object, via: `${a.name}'s ${x.name}` });
      }
    }
  }
  for (const w of d.writeCommands) {
    if (w.creates === undefined) continue;
    for (const f of w.request.fields) {
      if (f.handle && f.handle.object !== w.creates && (f.handle.access === 'read' || f.handle.access === 'write')) {
        out.push({ holder: w.creates, held: f.handle.object, via: `${w.name}'s ${f.name}` });
      }
    }
  }
  return out;
}

function checkReleaseOrder(d: DriverModel, base: DriverModel | undefined, problems: Problems): void {
  const at = pointer(d.origin.pointer, 'releaseOrder');
  const position = new Map(d.releaseOrder.map((t, i) => [t.name, i]));
  for (const t of d.types) {
    if (t.kind === 'device') {
      if (position.has(t.name)) {
        problems.add(d.origin.file, pointer(at, position.get(t.name)!), `type ${t.name} is the device itself and has no objects to release`, `remove "${t.name}" from releaseOrder`);
      }
    } else if (!position.has(t.name)) {
      problems.add(d.origin.file, at, `type ${t.name} is missing from releaseOrder`,
        `add "${t.name}" where its objects should be released${base ? ' (a driver lists every type of its merged view, core ones included)' : ''}`);
    }
  }
  const seen = new Set<string>();
  for (const h of holds(d)) {
    const a = position.get(h.holder);
    const b = position.get(h.held);
    const key = `${h.holder}>${h.held}`;
    if (a === undefined || b === undefined || a < b || seen.has(key)) continue;
    seen.add(key);
    problems.add(d.origin.file, pointer(at, a), `type ${h.holder} holds ${h.held} (through ${h.via}), so ${h.holder} must be released first, but releaseOrder puts it after`,
      `move "${h.holder}" before "${h.held}" in releaseOrder`);
  }
}
