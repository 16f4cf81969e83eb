/**
 * enum_in: attr_data.enum_data.elem_id selects one of several layouts; the data is
 * then passed like ptr_in. The caller gives `{ elem, value }`.
 */
import { valueText, type AttrModel } from '../model.js';
import type { Renderer } from './kind.js';
import { decodePtrIn, encodePtrIn, ptrInType, sizePtrIn, sizeText } from './ptr-in.js';

export const enumIn: Renderer = {
  inType: (a) => a.elements!.map((e) => `{ elem: ${JSON.stringify(e.name)}; value: ${ptrInType(e.value)} }`).join(' | '),
  inRequired: (a) => a.mandatory,
  outType: () => undefined,
  size: (a, x) => {
    const cases = a.elements!.map((e) => {
      const s = sizePtrIn(e.value, `${x}.value`);
      return s === '' ? '' : `if (${x}.elem === ${JSON.stringify(e.name)}) { ${s} }`;
    }).filter((s) => s !== '');
    return cases.join('\n');
  },
  encode: (a, x) => `switch (${x}.elem) {\n${a.elements!.map((e) =>
    `case ${JSON.stringify(e.name)}: {\n${encodePtrIn(a, e.value, `${x}.value`, e.id)}\nbreak;\n}`).join('\n')}\n}`,
  decodeIn: (a, target, what) => `switch (attrElemAt(v, at)) {\n${a.elements!.map((e) =>
    `case ${e.id}: {\nlet value: ${ptrInType(e.value).replace(' | UserPtr', '')};\n${decodePtrIn(e.value, 'value', what)}\n${target} = { elem: ${JSON.stringify(e.name)}, value };\nbreak;\n}`).join('\n')}\n}`,
  decodeOut: () => '',
  describe: (a: AttrModel) => `in, one of: ${a.elements!.map((e) => `${e.id} ${e.name} (${valueText(e.value)}, ${sizeText(e)})`).join('; ')}`,
};
