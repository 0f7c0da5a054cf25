/** Dataset adapters by name: `pymk import <name>` converts a public dataset into a standard folder. */
import { unknownName } from '../../core/errors.js';
import { sharedDataDir } from '../../core/paths.js';
import { importCollegeMsg } from './collegeMsg.js';
import { importEgoFacebook } from './egoFacebook.js';
import type { Adapter } from './types.js';

export type { Adapter, AdapterResult } from './types.js';
export { writeDataset, type DatasetSpec, type ConnectionRow } from './writeDataset.js';

export const ADAPTERS: Readonly<Record<string, Adapter>> = Object.freeze({
  'ego-facebook': {
    name: 'ego-facebook',
    description: 'SNAP ego-Facebook: friend graph + company/school/location from the ego-network features',
    defaultSrc: sharedDataDir('ego-facebook'),
    run: importEgoFacebook,
  },
  'college-msg': {
    name: 'college-msg',
    description: 'SNAP CollegeMsg: each pair that messaged becomes a connection dated by its first message',
    defaultSrc: sharedDataDir('college-msg'),
    run: importCollegeMsg,
  },
});

/** The adapter called `name`, or PYMK_UNKNOWN_NAME listing the valid ones. */
export function getAdapter(name: string): Adapter {
  const a = Object.hasOwn(ADAPTERS, name) ? ADAPTERS[name] : undefined;
  if (!a) throw unknownName('dataset adapter', name, Object.keys(ADAPTERS));
  return a;
}
