// Functions declared not to return (`void die(...) __noreturn;`, `void __noreturn die(...) {`,
// `__attribute__((noreturn))`, `_Noreturn`, `[[noreturn]]`): a path ends at their call. Found by
// a scan of the text, since tree-sitter does not know the kernel's attribute macros; the scan
// covers a file's own declarations and, through the run, the headers and files that declare them.

import { internName } from './prescan.js';
import { isAttributeMacro } from './c-names.js';
import path from 'node:path';
import { linkDomains, TOOLS_SHARED } from './link-domain.js';

const ATTRIBUTE = /\b(?:__noreturn|_Noreturn|__attribute__\s*\(\(\s*(?:__)?noreturn(?:__)?\s*\)\))|\[\[\s*noreturn\s*\]\]/g;

/** Comments and preprocessor lines blanked out (same length, so positions stay). */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/^[ \t]*#(?:[^\n]*\\\n)*[^\n]*/gm, (m) => m.replace(/[^\n]/g, ' '));
}

/** The names of the functions a C text declares or defines with a noreturn attribute. */
export function noreturnDeclarations(text: string): Set<string> {
  const names = new Set<string>();
  // One pass over the text for both spellings (`noreturn`, `_Noreturn`): most files have neither.
  if (!text.includes('oreturn')) return names;
  const code = codeOnly(text);
  for (const m of code.matchAll(ATTRIBUTE)) {
    // The declaration around the attribute: from the end of the previous one to `;` or `{`.
    const from = Math.max(code.lastIndexOf(';', m.index), code.lastIndexOf('}', m.index), code.lastIndexOf('{', m.index)) + 1;
    let to = m.index + m[0].length;
    let depth = 0;
    for (; to < code.length; to++) {
      const ch = code[to];
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      else if (depth === 0 && (ch === ';' || ch === '{' || ch === '=')) break;
    }
    const name = declaredFunction(code.slice(from, to));
    if (name) names.add(name);
  }
  return names;
}

/** The function a declaration names: the first identifier at depth 0 followed by `(` that is not an attribute. */
function declaredFunction(decl: string): string | null {
  let depth = 0;
  for (let i = 0; i < decl.length; i++) {
    const ch = decl[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /[A-Za-z_]/.test(ch) && (i === 0 || !/\w/.test(decl[i - 1]))) {
      const m = /^([A-Za-z_]\w*)\s*\(/.exec(decl.slice(i));
      if (m && !isAttributeMacro(m[1])) return m[1];
      const word = /^\w+/.exec(decl.slice(i))![0];
      i += word.length - 1;
    }
  }
  return null;
}

/**
 * Where a declaration holds: a header under the tree's top-level `include/` everywhere; one under
 * `tools/include`, `tools/lib` or `tools/arch` everywhere under `tools/`; any other file for the
 * files under its first two directories (`arch/mips`, `drivers/gpu`, `tools/perf`), where the same
 * name may mean another function elsewhere (each architecture has its die()). Within that, a
 * declaration holds only for the files of a program that sees it (src/engine/link-domain.ts: the
 * kernel's `include/` is not the tools' programs').
 */
export function declarationScope(file: string, root: string | null): string {
  const abs = path.resolve(file);
  const base = root ? path.resolve(root) : path.dirname(path.dirname(abs));
  const rel = path.relative(base, abs);
  if (rel.startsWith('..')) return path.dirname(abs) + path.sep;
  const parts = rel.split(path.sep);
  if (parts[0] === 'include' && parts.length > 1) return base + path.sep;
  if (parts[0] === 'tools' && TOOLS_SHARED.has(parts[1]!) && parts.length > 2) return path.join(base, 'tools') + path.sep;
  const dirs = parts.slice(0, -1).slice(0, 2);
  return path.join(base, ...dirs) + path.sep;
}

/** The run's noreturn declarations: by name, the scopes where each holds and the files that declare it. */
export class NoreturnIndex {
  private readonly scopes = new Map<string, { scope: string; file: string; root: string | null }[]>();

  add(file: string, text: string, root: string | null): void {
    this.addNames(file, noreturnDeclarations(text), root);
  }

  /** Records names a file declares noreturn (from noreturnDeclarations()). */
  addNames(file: string, names: Iterable<string>, root: string | null): void {
    const list = [...names];
    if (!list.length) return;
    const scope = declarationScope(file, root);
    const domains = linkDomains(root);
    for (const name of list.map(internName)) {
      const scopes = this.scopes.get(name);
      const at = { scope, file, root };
      if (!scopes) this.scopes.set(name, [at]);
      // One declaration per scope and program is enough.
      else if (!scopes.some((s) => s.scope === scope && domains.programOf(s.file) === domains.programOf(file))) scopes.push(at);
    }
  }

  /** Is `name` declared noreturn where `file` can see it? */
  holds(name: string, file: string): boolean {
    const list = this.scopes.get(name);
    if (!list) return false;
    const abs = path.resolve(file);
    return list.some((s) => abs.startsWith(s.scope) && linkDomains(s.root).links(file, s.file));
  }

  get size(): number {
    return this.scopes.size;
  }
}
