/** Ids as const objects plus union types: types, each type's actions, each action's attributes. */
import type { DriverModel } from '../model.js';
import { render } from './templates.js';

export function emitIds(d: DriverModel): string {
  return render('ids', {
    driverId: d.driverId,
    types: d.types,
  });
}
