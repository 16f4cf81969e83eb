/**
 * The corpus of bad specs: each is the minimal spec with one thing broken, and the
 * exact message the generator must give (file#pointer: what is wrong), with exit 1
 * and nothing written.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMAL, runCli, specCopy, tempDir } from '../helpers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Files = Map<string, Json>;

const types = (f: Files): Json[] => f.get('core/types.json')!.types as Json[];
const type = (f: Files, name: string): Json => types(f).find((t) => t.name === name)!;
const widgetAttrs = (f: Files): Json[] => type(f, 'WIDGET').actions[0].attributes as Json[];
const attr = (f: Files, name: string): Json => widgetAttrs(f).find((a) => a.name === name)!;
const structs = (f: Files): Json[] => f.get('core/types.json')!.structs as Json[];
const driver = (f: Files): Json => f.get('core/driver.json')!.driver as Json;

const mlx5 = (extra: Json): ((f: Files) => void) => (f) => {
  f.set('mlx5/driver.json', {
    $schema: '../../spec/schema/uverbs-spec.schema.json',
    driver: { name: 'mlx5', doc: 'A test driver.', driverId: 1, extends: 'core', releaseOrder: ['WIDGET', 'PD', 'CHANNEL'] },
  });
  f.set('mlx5/ext.json', { $schema: '../../spec/schema/uverbs-spec.schema.json', ...extra });
};

const extAttr = (id: number, name = 'uar'): Json => ({
  name, cName: 'MLX5_IB_ATTR_X', id, kind: 'ptr_in', value: 'u32', mandatory: false, doc: 'A driver attribute.',
});

interface Case {
  name: string;
  mutate: (f: Files) => void;
  /** The whole first line of the expected problem. */
  want: string;
}

const T = 'core/types.json';
const D = 'core/driver.json';

const cases: Case[] = [
  {
    name: 'missing doc on an attribute',
    mutate: (f) => { delete attr(f, 'size').doc; },
    want: `${T}#/types/3/actions/0/attributes/3: is missing the required property "doc"`,
  },
  {
    name: 'misspelt property',
    mutate: (f) => { attr(f, 'blob').minLength = 2; },
    want: `${T}#/types/3/actions/0/attributes/11: has an unknown property "minLength"`,
  },
  {
    name: 'unknown attribute kind',
    mutate: (f) => { attr(f, 'size').kind = 'ptr_inout'; },
    want: `${T}#/types/3/actions/0/attributes/3: "kind" must be one of the attribute kinds`,
  },
  {
    name: 'type name not UPPER_CASE',
    mutate: (f) => { type(f, 'PD').name = 'pd'; },
    want: `${T}#/types/1/name: does not match the pattern ^[A-Z][A-Z0-9_]*$`,
  },
  {
    name: 'duplicate type id',
    mutate: (f) => { type(f, 'WIDGET').id = 1; },
    want: `${T}#/types/3/id: type WIDGET (id 0x1) clashes with type PD (id 0x1) at ${T}#/types/1`,
  },
  {
    name: 'duplicate action id in a type',
    mutate: (f) => { type(f, 'PD').actions[1].id = 0; },
    want: `${T}#/types/1/actions/1/id: action PD_DESTROY (id 0x0) of type PD clashes with action PD_ALLOC (id 0x0) at ${T}#/types/1/actions/0`,
  },
  {
    name: 'duplicate attribute name in an action',
    mutate: (f) => { attr(f, 'cookie').name = 'size'; },
    want: `${T}#/types/3/actions/0/attributes/4/name: attribute size (id 0x4) of action WIDGET_CREATE clashes with attribute size (id 0x3)`,
  },
  {
    name: 'core id in the driver namespace',
    mutate: (f) => { attr(f, 'cookie').id = 0x1005; },
    want: `${T}#/types/3/actions/0/attributes/4/id: attribute cookie has id 0x1005, in the driver namespace, but "core" is the core`,
  },
  {
    name: 'dangling object type',
    mutate: (f) => { attr(f, 'pd').object = 'PDX'; },
    want: `${T}#/types/3/actions/0/attributes/1/object: refers to object type "PDX", which is not declared`,
  },
  {
    name: 'dangling struct',
    mutate: (f) => { attr(f, 'shape').value = 'struct shapes'; },
    want: `${T}#/types/3/actions/0/attributes/5/value: refers to struct "shapes", which is not declared`,
  },
  {
    name: 'dangling enum',
    mutate: (f) => { attr(f, 'flags').enum = 'widget_flag'; },
    want: `${T}#/types/3/actions/0/attributes/6/enum: refers to enum "widget_flag", which is not declared`,
  },
  {
    name: 'two new attributes in one action',
    mutate: (f) => { Object.assign(attr(f, 'pd'), { access: 'new', object: 'PD' }); },
    want: `${T}#/types/3/actions/0/attributes/1/access: action WIDGET_CREATE already has a new attribute (handle); an action creates or destroys at most one object`,
  },
  {
    name: 'optional destroy attribute',
    mutate: (f) => { type(f, 'PD').actions[1].attributes[0].mandatory = false; },
    want: `${T}#/types/1/actions/1/attributes/0/mandatory: the destroy attribute handle of PD_DESTROY is optional`,
  },
  {
    name: 'minLen above len',
    mutate: (f) => { Object.assign(attr(f, 'cookie'), { minLen: 16 }); },
    want: `${T}#/types/3/actions/0/attributes/4/minLen: minLen 16 is larger than len 8`,
  },
  {
    name: 'struct field at the wrong offset',
    mutate: (f) => { structs(f)[0]!.fields[1].offset = 4; },
    want: `${T}#/structs/0/fields/1/offset: field "b" of struct pair is at offset 8 by C layout rules, but the spec says 4`,
  },
  {
    name: 'struct of the wrong size',
    mutate: (f) => { structs(f)[0]!.size = 12; },
    want: `${T}#/structs/0/size: struct pair is 16 bytes by C layout rules (alignment 8), but the spec says 12`,
  },
  {
    name: 'release order against a reference',
    mutate: (f) => { driver(f).releaseOrder = ['PD', 'WIDGET', 'CHANNEL']; },
    want: `${D}#/driver/releaseOrder/1: type WIDGET holds PD (through WIDGET_CREATE's pd), so WIDGET must be released first, but releaseOrder puts it after`,
  },
  {
    name: 'type missing from the release order',
    mutate: (f) => { driver(f).releaseOrder = ['WIDGET', 'PD']; },
    want: `${D}#/driver/releaseOrder: type CHANNEL is missing from releaseOrder`,
  },
  {
    name: 'idr attribute naming an fd type',
    mutate: (f) => { attr(f, 'pd').object = 'CHANNEL'; },
    want: `${T}#/types/3/actions/0/attributes/1/object: a idr attribute needs a type of kind idr, but CHANNEL is of kind fd`,
  },
  {
    name: '"last" naming no field',
    mutate: (f) => { type(f, 'DEVICE').actions[0].attributes[1].last = 'c'; },
    want: `${T}#/types/0/actions/0/attributes/1/last: struct pair has no field "c"`,
  },
  {
    name: 'flags_in over an enum that is not a flag set',
    mutate: (f) => { attr(f, 'flags').enum = 'widget_mode'; },
    want: `${T}#/types/3/actions/0/attributes/6/enum: flags_in needs a flag set, but enum widget_mode is not one ("flags": false)`,
  },
  {
    name: 'encodeOrder naming no attribute',
    mutate: (f) => { type(f, 'WIDGET').actions[0].encodeOrder = ['handle', 'pdx']; },
    want: `${T}#/types/3/actions/0/encodeOrder/1: names attribute "pdx", which action WIDGET_CREATE does not have`,
  },
  {
    name: 'one handler for two actions',
    mutate: (f) => { type(f, 'PD').actions[1].handler = 'pdAlloc'; },
    want: `${T}#/types/1/actions/1/handler: handler "pdAlloc" of PD.PD_DESTROY is already the handler of PD.PD_ALLOC`,
  },
  {
    name: 'driver name unlike its folder',
    mutate: (f) => { driver(f).name = 'kore'; },
    want: `${D}#/driver/name: the driver is named "kore" but its folder is "core"`,
  },
  {
    name: '$schema naming another schema',
    mutate: (f) => { f.get(T)!.$schema = 'https://example.com/other.json'; },
    want: `${T}#/$schema: names "https://example.com/other.json", not the uverbs-abi schema`,
  },
  {
    name: 'driver attribute in the core namespace',
    mutate: mlx5({ typeExtensions: [{ type: 'WIDGET', actionExtensions: [{ action: 'WIDGET_CREATE', doc: 'More.', attributes: [extAttr(13)] }] }] }),
    want: 'mlx5/ext.json#/typeExtensions/0/actionExtensions/0/attributes/0/id: attribute uar has id 0xd, in the core namespace, but driver "mlx5" declares it',
  },
  {
    name: 'driver redefining a core attribute',
    mutate: mlx5({ typeExtensions: [{ type: 'WIDGET', actionExtensions: [{ action: 'WIDGET_CREATE', doc: 'More.', attributes: [extAttr(0x1002, 'size')] }] }] }),
    want: 'mlx5/ext.json#/typeExtensions/0/actionExtensions/0/attributes/0/name: attribute size (id 0x1002) of action WIDGET_CREATE clashes with attribute size (id 0x3)',
  },
  {
    name: 'driver extending an action that does not exist',
    mutate: mlx5({ typeExtensions: [{ type: 'WIDGET', actionExtensions: [{ action: 'WIDGET_MODIFY', doc: 'More.', attributes: [extAttr(0x1002)] }] }] }),
    want: 'mlx5/ext.json#/typeExtensions/0/actionExtensions/0/action: extends action "WIDGET_MODIFY" of type WIDGET, which does not exist there',
  },
  {
    name: 'driver redefining a core handler',
    mutate: mlx5({ typeExtensions: [{ type: 'PD', actions: [{ name: 'PD_QUERY', cName: 'MLX5_IB_METHOD_PD_QUERY', id: 0x1000, doc: 'Query.', handler: 'pdAlloc', attributes: [] }] }] }),
    want: 'mlx5/ext.json#/typeExtensions/0/actions/0/handler: handler "pdAlloc" of PD.PD_QUERY is already the handler of PD.PD_ALLOC',
  },
  {
    name: 'driver typing the UHW of an action without one',
    mutate: mlx5({ typeExtensions: [{ type: 'PD', actionExtensions: [{ action: 'PD_ALLOC', doc: 'More.', attributes: [{ kind: 'uhw', doc: 'Driver data.', in: 'struct pair' }] }] }] }),
    want: 'mlx5/ext.json#/typeExtensions/0/actionExtensions/0/attributes/0: action PD_ALLOC has no UHW (UVERBS_ATTR_UHW) to type',
  },
  {
    name: 'one action name in two types',
    mutate: (f) => { type(f, 'PD').actions[1].name = 'WIDGET_CREATE'; },
    want: `${T}#/types/3/actions/0/name: action name WIDGET_CREATE is also an action of type PD`,
  },
];

describe('bad specs', () => {
  it('has at least 15 cases', () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases)('$name', async ({ mutate, want }) => {
    const spec = specCopy(MINIMAL, mutate);
    const out = join(tempDir(), 'generated');
    const r = await runCli(['generate', '--spec', spec, '--out', out]);
    expect(r.code).toBe(1);
    const text = r.err.split(spec + '/').join('');
    expect(text).toContain(want);
    expect(text).toMatch(/\n {2}fix: \S/);
    expect(text).not.toMatch(/\bat \S+\.ts:\d+/); // no stack trace
    expect(existsSync(out)).toBe(false);
  });

  it('reports JSON syntax errors with line and column', async () => {
    const spec = specCopy(MINIMAL);
    writeFileSync(join(spec, 'core/types.json'), '{\n  "types": [,]\n}\n');
    const r = await runCli(['generate', '--spec', spec, '--out', join(tempDir(), 'generated')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/types\.json: not valid JSON: .* at line 2, column 13/);
  });

  it('reports every problem in one run', async () => {
    const spec = specCopy(MINIMAL, (f) => {
      delete attr(f, 'size').doc;
      attr(f, 'pd').object = 'PDX';
    });
    const r = await runCli(['generate', '--spec', spec, '--out', join(tempDir(), 'generated')]);
    expect(r.err).toContain('the spec has 1 problem'); // schema errors stop before semantic checks
    const spec2 = specCopy(MINIMAL, (f) => {
      attr(f, 'pd').object = 'PDX';
      structs(f)[0]!.size = 12;
    });
    const r2 = await runCli(['generate', '--spec', spec2, '--out', join(tempDir(), 'generated')]);
    expect(r2.err).toContain('the spec has 2 problems');
  });
});
