// The installation's root: the directory holding package.json, bin/ and queries/. Found upwards
// from this module, wherever the build put it: src/ (a TypeScript loader), dist/src/ (`tsc`), or
// the bundle's dist/bundle/ (bin/bundle-dist.mjs), each at a different depth.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nearestAncestor } from './ancestors.js';

let root: string | undefined;

export function installRoot(): string {
  root ??= nearestAncestor(path.dirname(fileURLToPath(import.meta.url)), (dir) => (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'queries')) ? dir : null)) ?? undefined;
  if (!root) throw new Error('vmalint installation is incomplete: package.json and queries/ not found');
  return root;
}
