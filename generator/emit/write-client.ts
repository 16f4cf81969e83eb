/**
 * The typed write() client: one class per driver with a method per implemented
 * command, each a thin call of the hand-written WriteCaller with the command's
 * generated encoder and decoder. The route (write(2) or INVOKE_WRITE) is the caller's
 * option, so the methods are the same on both.
 */
import { pascalCase, type DriverModel, type WriteCommandModel } from '../model.js';
import { typeFileName } from './actions.js';
import { codegenImport, docComment, ident } from './ts.js';
import { hasResponseField, hasWriteExtra, implemented, writeCommandsInOrder, writePrefix } from './write.js';

export function writeClientClassName(d: DriverModel): string {
  return ident(`${pascalCase(d.name)}WriteClient`);
}

/** DEVICE.INVOKE_WRITE, when the driver's spec has it: the ioctl route. */
function invokeWriteOf(d: DriverModel): { file: string } | undefined {
  const device = d.types.find((t) => t.kind === 'device');
  return device?.actions.some((a) => a.name === 'INVOKE_WRITE') ? { file: typeFileName(device) } : undefined;
}

/** A request with no field the caller gives (only the response address) may be left out. */
function requestOptional(w: WriteCommandModel): boolean {
  return w.request.fields.every((f) => f.type.kind === 'flex' || (hasResponseField(w) && f.name === 'response'));
}

function emitMethod(w: WriteCommandModel, hasExtra: boolean): string {
  const name = ident(w.tsName);
  if (name === 'constructor') throw new Error(`internal: write command ${w.name} cannot be a client method named constructor`);
  const P = writePrefix(w);
  const doc = [
    `${w.name} (${w.cName}${w.extended ? ', extended' : ''}): ${w.doc}`,
    '',
    `@param request - The request struct (${P}Request).`,
    ...(hasExtra ? [`@param extra - What else the command carries (${P}Extra).`] : []),
    w.response ? `@returns The response (${P}Out).` : '@returns Once the kernel has run the command.',
    '@throws UverbsCallError naming the route ("write" or "INVOKE_WRITE"), the command and the errno when the kernel refuses it.',
  ].join('\n');
  const params = `request: ${P}Request${requestOptional(w) ? ' = {}' : ''}${hasExtra ? `, extra?: ${P}Extra` : ''}`;
  return `${docComment(doc)}
${name}(${params}): Promise<${w.response ? `${P}Out` : 'void'}> {
return this.#caller.call(WRITE_INFO.${w.name}, encode${P}, request, ${hasExtra ? 'extra' : 'undefined'}, ${w.response ? `decode${P}Out` : 'noResponse'});
}`;
}

export function emitWriteClient(d: DriverModel): string {
  const hasExtra = hasWriteExtra;
  const run = writeCommandsInOrder(d).filter(implemented);
  const invoke = invokeWriteOf(d);
  const names = ['WRITE_INFO'];
  for (const w of run) {
    const P = writePrefix(w);
    names.push(`encode${P}`);
    if (w.response) names.push(`decode${P}Out`);
  }
  for (const w of run) {
    const P = writePrefix(w);
    names.push(`type ${P}Request`);
    if (hasExtra(w)) names.push(`type ${P}Extra`);
    if (w.response) names.push(`type ${P}Out`);
  }
  const imports = [
    codegenImport(['WriteCaller', ...(run.some((w) => !w.response) ? ['noResponse'] : []), 'type Transport', 'type WriteCallerOptions']),
  ];
  if (invoke) imports.push(`import { encodeInvokeWrite } from './${invoke.file.replace(/\.ts$/, '.js')}';`);
  imports.push(`import { ${names.join(', ')} } from './write.js';`);
  const cls = writeClientClassName(d);
  const classDoc = [
    `A client of the ${d.name} write() ABI on one open uverbs fd: a method per implemented command that encodes the write() buffer, sends it by write(2) or through DEVICE.INVOKE_WRITE, and decodes the response.`,
    '',
    'Calls may overlap (their handlers may be async); each has a buffer of its own.',
  ].join('\n');
  const ctorDoc = [
    '@param transport - Memory, write and ioctl: inProcess(process) for the emulated device.',
    '@param fd - The uverbs file, as open() of the device returned it.',
    `@param options - The route (\`via\`: "write", the default${invoke ? ', or "ioctl" for INVOKE_WRITE' : `; driver ${d.name} has no INVOKE_WRITE`}), the size of the reused buffers and how many to keep.`,
  ].join('\n');
  return `${imports.join('\n')}

${docComment(classDoc)}
export class ${cls} {
readonly #caller: WriteCaller;

${docComment(ctorDoc)}
constructor(transport: Transport, fd: number, options?: WriteCallerOptions) {
this.#caller = new WriteCaller(transport, fd, ${invoke ? 'encodeInvokeWrite' : 'undefined'}, options);
}

${run.map((w) => emitMethod(w, hasExtra(w))).join('\n\n')}
}
`;
}
