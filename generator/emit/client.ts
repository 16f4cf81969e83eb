/**
 * The typed client: one class per driver with a method per action, each a thin call
 * of the hand-written ActionCaller with the action's generated encoder and decoder.
 * Buffers, the ioctl and errno handling live in the runtime, not in generated code.
 */
import { renderers } from '../kinds/index.js';
import { pascalCase, type ActionModel, type DriverModel, type TypeModel } from '../model.js';
import { actionPrefix, typeFileName } from './actions.js';
import { codegenImport, docComment, ident } from './ts.js';

export function clientClassName(d: DriverModel): string {
  return ident(`${pascalCase(d.name)}Client`);
}

/** An action whose every input may be left out can be called with no arguments. */
function inputOptional(a: ActionModel): boolean {
  return !a.attributes.some((x) => renderers[x.kind].inType(x) !== undefined && renderers[x.kind].inRequired(x));
}

function emitMethod(t: TypeModel, a: ActionModel): string {
  const name = ident(a.tsName);
  // A method of that name would be the class's constructor.
  if (name === 'constructor') throw new Error(`internal: action ${t.name}.${a.name} cannot be a client method named constructor`);
  const P = actionPrefix(a);
  const doc = [
    `${t.name}.${a.name} (${a.cName}): ${a.doc}`,
    '',
    `@param input - The attributes to send (${P}In).`,
    '@param optional - Attributes to send without MANDATORY, so that a kernel that does not know them ignores them.',
    `@returns What the kernel wrote back (${P}Out).`,
    '@throws UverbsCallError naming the type, the action and the errno when the kernel refuses the call.',
  ].join('\n');
  return `${docComment(doc)}
${name}(input: ${P}In${inputOptional(a) ? ' = {}' : ''}, optional?: readonly ${P}AttrName[]): Promise<${P}Out> {
return this.#caller.call(${JSON.stringify(t.name)}, ${JSON.stringify(a.name)}, encode${P}, input, optional, decode${P}Out);
}`;
}

export function emitClient(d: DriverModel): string {
  const imports = [codegenImport(['ActionCaller', 'type CallerOptions', 'type Transport'])];
  const methods: string[] = [];
  for (const t of d.types) {
    if (t.actions.length === 0) continue;
    const names = t.actions.flatMap((a) => {
      const P = actionPrefix(a);
      return [`encode${P}`, `decode${P}Out`];
    });
    const types = t.actions.flatMap((a) => {
      const P = actionPrefix(a);
      return [`type ${P}In`, `type ${P}Out`, `type ${P}AttrName`];
    });
    imports.push(`import { ${[...names, ...types].join(', ')} } from './${typeFileName(t).replace(/\.ts$/, '.js')}';`);
    for (const a of t.actions) methods.push(emitMethod(t, a));
  }
  const cls = clientClassName(d);
  const classDoc = [
    `A client of the ${d.name} uverbs ABI on one open uverbs fd: a method per action that encodes the call, runs the ioctl through the transport and decodes what the kernel wrote back.`,
    '',
    'Calls may overlap (their handlers may be async); each has a buffer of its own.',
  ].join('\n');
  const ctorDoc = [
    '@param transport - Memory and ioctl: inProcess(process) for the emulated device.',
    '@param fd - The uverbs file, as open() of the device returned it.',
    '@param options - The size of the reused buffers and how many to keep.',
  ].join('\n');
  return `${imports.join('\n')}

${docComment(classDoc)}
export class ${cls} {
readonly #caller: ActionCaller;

${docComment(ctorDoc)}
constructor(transport: Transport, fd: number, options?: CallerOptions) {
this.#caller = new ActionCaller(transport, fd, options);
}

${methods.join('\n\n')}
}
`;
}
