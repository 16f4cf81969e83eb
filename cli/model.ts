/** uverbs-abi model --json: the resolved model as data (docs/model-json.md). */
import { UsageError } from '../generator/errors.js';
import { loadModel, modelJson } from '../generator/index.js';
import { flag, type Command } from './command.js';

export const modelCommand: Command = {
  name: 'model',
  usage: 'model --json             print the resolved model as JSON (drivers, types, actions, attributes)',
  help: `usage: uverbs-abi model --json [--spec <folder>] [--driver <name>]

Prints the resolved model: {"drivers": [{"name", "driverId", "extends", "types":
[{"name", "cName", "id", "kind", "actions": [{"name", "cName", "id", "handler",
"attributes": [{"name", "cName", "id", "kind", "mandatory", ...}]}]}],
"releaseOrder", "writeCommands"}]}. A driver's entry is its merged view: the core
types with its extensions, plus its own types. See docs/model-json.md.

  --spec <folder>   the spec folder (default: the spec this package ships)
  --driver <name>   only this driver's entry`,
  bool: ['json', 'help'],
  value: ['spec', 'driver'],
  run(p, io) {
    if (!p.flags.has('json')) throw new UsageError('model needs --json (the only output format)');
    if (p.positional.length > 0) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
    const spec = flag(p, 'spec');
    const m = loadModel(spec);
    const only = flag(p, 'driver');
    if (only !== undefined && !m.drivers.some((d) => d.name === only)) {
      throw new UsageError(`no driver "${only}"; the drivers are: ${m.drivers.map((d) => d.name).join(', ')}`);
    }
    io.out(JSON.stringify(modelJson(m, only), null, 2) + '\n');
    return 0;
  },
};
