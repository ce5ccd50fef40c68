// What the run learns from a file's text before any analysis (the first pass over every file,
// run by the workers when there are some): its prescan, its `__noreturn` declarations, the names
// an architecture's header provides, the run's own headers it includes, its content hash.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { prescan, type FilePrescan } from '../engine/prescan.js';
import { markTriggered } from '../engine/demand.js';
import { noreturnDeclarations } from '../engine/noreturn.js';
import { archHeaderNames } from '../engine/knowledge.js';
import { contentHash } from '../cache.js';
import { parseSuppressions, type Suppression } from '../suppressions.js';

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
  hash: string | null;
}

/** Compiled once per thread. */
let compiled: { config: FactsConfig; wanted: Set<string>; triggers: RegExp[] } | null = null;

export function fileFacts(file: string, text: string, config: FactsConfig): FileFacts {
  if (compiled?.config !== config) compiled = { config, wanted: new Set(config.wanted), triggers: config.triggers.map(([s, f]) => new RegExp(s, f)) };
  const scan = prescan(text, compiled.wanted);
  markTriggered(scan, text, compiled.triggers);
  const includes: string[] = [];
  for (const m of text.matchAll(/^[ \t]*#[ \t]*include[ \t]+"([^"]+\.h)"/gm)) {
    const h = path.resolve(path.dirname(file), m[1]);
    if (existsSync(h)) includes.push(h);
  }
  return {
    path: file,
    scan,
    noreturn: [...noreturnDeclarations(text)],
    archNames: archHeaderNames(file, text, config.root),
    includes,
    suppressions: parseSuppressions(text),
    hash: config.hash ? contentHash(text) : null,
  };
}
