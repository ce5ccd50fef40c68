// Compiles src/ into dist/src/ when vmalint was installed from its source without a build: the
// pre-commit framework (`language: node`) and `npm install -g` of a checkout pack the repository,
// and npm's lifecycle scripts are off (.npmrc), so no `prepare` builds it. Each file is
// transpiled alone (TypeScript's transpileModule, as with isolatedModules): the same JavaScript as
// `npm run build`, without the type check, which the project's own tests do.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Compiles the sources; false when TypeScript cannot be loaded. */
export async function buildDist() {
  let ts;
  try {
    ts = (await import('typescript')).default;
  } catch {
    return false;
  }
  process.stderr.write('vmalint: compiling its sources (first run of an installation from source)...\n');
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  // Built aside and moved in whole: an interrupted build, or another process building at the same
  // time, never leaves half a dist/src.
  const building = path.join(root, 'dist', `.building-${process.pid}`);
  for (const file of walk(path.join(root, 'src')).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, esModuleInterop: true, isolatedModules: true },
    });
    const out = path.join(building, path.relative(root, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  if (!existsSync(path.join(root, 'dist', 'src'))) renameSync(path.join(building, 'src'), path.join(root, 'dist', 'src'));
  rmSync(building, { recursive: true, force: true });
  return true;
}
