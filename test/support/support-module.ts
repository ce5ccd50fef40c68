// Every module of test/support/ calls supportModuleOnly() first. Run as a test file of its own (a
// runner given the whole directory, `node --test dist/test/`, takes everything under a test/
// directory), it fails instead of showing as a test that passed. npm test runs
// dist/test/*.test.js only, which import these modules and are not affected.
import { pathToFileURL } from 'node:url';

export function supportModuleOnly(moduleUrl: string): void {
  const main = process.argv[1];
  if (main !== undefined && pathToFileURL(main).href === moduleUrl) {
    throw new Error(`${main} is a test support module, not a test file: run dist/test/*.test.js (npm test)`);
  }
}

supportModuleOnly(import.meta.url);
