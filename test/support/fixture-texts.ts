// The C files under fixtures/ (every folder, in name order): inputs for the tests that compare two
// ways of computing the same thing over real-looking kernel code (the parser's copy, keepOnly(),
// summary fingerprints).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { installRoot } from '../../src/install-root.js';
import { supportModuleOnly } from './support-module.js';

supportModuleOnly(import.meta.url);

/** The paths of the fixtures' `.c` files (and `.h` files with `headers`). */
export function fixtureFiles(headers = false): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) visit(p);
      else if (name.endsWith('.c') || (headers && name.endsWith('.h'))) out.push(p);
    }
  };
  visit(path.join(installRoot(), 'fixtures'));
  return out;
}

/** The fixtures' texts, with their paths. */
export function fixtureTexts(headers = false): { path: string; text: string }[] {
  return fixtureFiles(headers).map((p) => ({ path: p, text: readFileSync(p, 'utf8') }));
}
