/**
 * Where this package is installed, and its version: the generator names the version in
 * every file it writes, and the CLI uses the package's own spec unless told otherwise.
 * The same code runs from the sources (generator/) and from the build (dist/generator/),
 * so the package root is found by walking up to the package.json that names it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): { root: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'uverbs-abi' && typeof pkg.version === 'string') return { root: dir, version: pkg.version };
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`internal: no package.json of uverbs-abi above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

const found = findPackageRoot();

/** The folder holding the package's package.json (the repository root in a checkout). */
export const PACKAGE_ROOT = found.root;
/** The package's version, as package.json gives it. */
export const GENERATOR_VERSION = found.version;
/** The spec the package ships: core, mlx5 and the schema. */
export const SHIPPED_SPEC = join(PACKAGE_ROOT, 'spec');
