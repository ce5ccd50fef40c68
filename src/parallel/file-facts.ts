// What the run learns from a file's text before any analysis (the first pass over every file,
// run by the workers when there are some): its prescan, its `__noreturn` declarations, the names
// an architecture's header provides, the run's own headers it includes, its content hash.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { prescan, type FilePrescan } from '../engine/prescan.js';
import { markTriggered } from '../engine/demand-names.js';
import { noreturnDeclarations } from '../engine/noreturn.js';
import { archHeaderNames } from '../engine/cross-file-facts.js';
import { contentHash } from '../cache.js';
import { parseSuppressions, type Suppression } from '../suppressions.js';
import { lookupApi } from '../kb/lock-api.js';
import { findDeclarations, type Declaration } from '../kb/declarations.js';

/** What a file's facts depend on besides its text (the same for every file of a run). */
export interface FactsConfig {
  wanted: string[];
  /** Rules' text triggers, as [source, flags]. */
  triggers: [string, string][];
  root: string | null;
  hash: boolean;
}

export interface FileFacts {
  path: string;
  scan: FilePrescan;
  noreturn: string[];
  archNames: string[];
  /** Existing headers the file includes with `#include "..."`. */
  includes: string[];
  /** Its `vmalint: ignore` comments. */
  suppressions: Suppression[];
  /** Its definitions of functions the knowledge base describes (src/engine/tree-apis.ts). */
  declarations: Declaration[];
  hash: string | null;
  /** A digest of what the run's call graph reads of it (its functions' names, static or not, and calls), with the hash. */
  calls?: string;
}

/** Compiled once per thread. */
let compiled: { config: FactsConfig; wanted: Set<string>; triggers: RegExp[] } | null = null;

/**
 * A file's facts from its text; `bytes`, the text's bytes when the caller has them: searched
 * instead of the text where that is faster (a Buffer's search, in C++, against V8's string search:
 * 6.12's 1.3 GB, one thread, `oreturn` 1.09 -> 0.42 s, every `include` 1.12 -> 0.65 s).
 */
export function fileFacts(file: string, text: string, config: FactsConfig, bytes?: Buffer): FileFacts {
  if (compiled?.config !== config) compiled = { config, wanted: new Set(config.wanted), triggers: config.triggers.map(([s, f]) => new RegExp(s, f)) };
  const scan = prescan(text, compiled.wanted);
  markTriggered(scan, text, compiled.triggers);
  // One byte per character (ASCII, or Latin-1 read as such): a byte's offset is the character's.
  const sameOffsets = bytes !== undefined && bytes.length === text.length ? bytes : undefined;
  const includes: string[] = [];
  for (const name of quotedIncludes(text, sameOffsets)) {
    const h = path.resolve(path.dirname(file), name);
    if (existsSync(h)) includes.push(h);
  }
  return {
    path: file,
    scan,
    noreturn: bytes && !bytes.includes(NORETURN_MARK) ? [] : [...noreturnDeclarations(text)],
    archNames: archHeaderNames(file, text, config.root),
    includes,
    suppressions: parseSuppressions(text),
    declarations: knowledgeBaseDefinitions(file, text, scan),
    hash: config.hash ? contentHash(text) : null,
    ...(config.hash ? { calls: callsDigest(scan) } : {}),
  };
}

const QUOTED_INCLUDE = /^[ \t]*#[ \t]*include[ \t]+"([^"]+\.h)"/;

/** What every spelling of a noreturn attribute holds (src/engine/noreturn.ts): a file without it declares none. */
const NORETURN_MARK = 'oreturn';

/**
 * The headers a text includes with `#include "x.h"` (a directive at the start of a line): each
 * `include` found by indexOf and its line checked, which is several times faster over a large
 * file than one multi-line regular expression trying every position. `bytes`: the text's bytes,
 * one per character, searched instead.
 */
export function quotedIncludes(text: string, bytes?: Buffer): string[] {
  const out: string[] = [];
  const next = bytes ? (from: number) => bytes.indexOf('include', from, 'latin1') : (from: number) => text.indexOf('include', from);
  for (let at = next(0); at >= 0; at = next(at + 7)) {
    // Blanks then `"` after it, as the directive's needs: not a line to cut out (`#include <...>`).
    let quote = at + 7;
    while (text.charCodeAt(quote) === 32 || text.charCodeAt(quote) === 9) quote++;
    if (quote === at + 7 || text.charCodeAt(quote) !== 34) continue;
    const lineStart = text.lastIndexOf('\n', at) + 1;
    const lineEnd = text.indexOf('\n', at);
    const m = QUOTED_INCLUDE.exec(text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd));
    if (m) {
      out.push(m[1]);
      if (lineEnd < 0) break;
      at = lineEnd - 7;
    }
  }
  return out;
}

/**
 * The file's definitions of functions the knowledge base describes, as declared (few files have
 * any): each read from its own text, which the prescan delimited.
 */
function knowledgeBaseDefinitions(file: string, text: string, scan: FilePrescan): Declaration[] {
  const out: Declaration[] = [];
  let line = 1;
  let counted = 0;
  for (const fn of scan.functions) {
    if (!lookupApi(fn.name)) continue;
    for (; counted < fn.start; counted++) if (text.charCodeAt(counted) === 10) line++;
    out.push(...findDeclarations(text.slice(fn.start, fn.end), fn.name, file, line));
  }
  return out;
}

/** What the call graph (src/engine/demand.ts) reads of a file's prescan, as a digest: unchanged by an edit that only moves its functions. */
function callsDigest(scan: FilePrescan): string {
  const parts: string[] = [];
  for (const fn of scan.functions) parts.push(`${fn.isStatic ? 's' : ''}${fn.name}(${fn.ids.join(',')})`);
  return contentHash(parts.join(';'));
}
