/** Every action of a spec is a method of its generated client, named by the action's tsName. */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../generator/generate.js';
import { CoreClient as ShippedCoreClient } from '../../generated/core/index.js';
import { CoreClient as MinimalCoreClient } from '../fixtures/minimal-golden/core/index.js';
import { MINIMAL } from '../helpers.js';

function methodsOf(cls: { prototype: object }): string[] {
  return Object.getOwnPropertyNames(cls.prototype).filter((n) => n !== 'constructor').sort();
}

function actionsOf(specRoot: string): string[] {
  const core = loadModel(specRoot).drivers.find((d) => d.name === 'core')!;
  return core.types.flatMap((t) => t.actions.map((a) => a.tsName)).sort();
}

describe('generated client methods', () => {
  it('the shipped core spec: one method per action, nothing else', () => {
    const actions = actionsOf('spec');
    expect(methodsOf(ShippedCoreClient)).toEqual(actions);
    expect(actions).toContain('cqCreate');
    expect(actions).toContain('queryPort');
  });

  it('the minimal spec: one method per action, nothing else', () => {
    expect(methodsOf(MinimalCoreClient)).toEqual(actionsOf(MINIMAL));
  });
});
