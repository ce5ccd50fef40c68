// Mutants of C sources for fuzzing the analyzer: truncations, deleted spans, inserted brackets,
// directives and comment openers, duplicated spans. Deterministic for a given seed.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { analyzeSources } from '../src/analyze.js';

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INSERTS = ['{', '}', '(', ')', ';', '\n#if X\n', '\n#endif\n', '\n#else\n', '/*', '*/', '"', "'", '\\', 'goto out;', 'return', '?', ':', '->', '&&', '\0', '\u00e9', 'mmap_read_lock(mm);', 'mmap_read_unlock(mm);', 'for_each_vma(vmi, vma)', 'switch (x) {', 'case 1:'];

/** `count` mutants of `text`. */
export function mutants(text: string, count: number, seed: number): string[] {
  const rnd = prng(seed);
  const pick = (n: number): number => Math.floor(rnd() * n);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let t = text;
    const edits = 1 + pick(4);
    for (let e = 0; e < edits; e++) {
      const at = pick(t.length + 1);
      switch (pick(4)) {
        case 0:
          t = t.slice(0, at);
          break;
        case 1: {
          const len = pick(200);
          t = t.slice(0, at) + t.slice(at + len);
          break;
        }
        case 2:
          t = t.slice(0, at) + INSERTS[pick(INSERTS.length)] + t.slice(at);
          break;
        default: {
          const from = pick(t.length + 1);
          const len = pick(300);
          t = t.slice(0, at) + t.slice(from, from + len) + t.slice(at);
        }
      }
    }
    out.push(t);
  }
  return out;
}

function cFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? cFiles(p) : name.endsWith('.c') ? [p] : [];
    });
}

/** Runs the mutants of every fixture; returns the problems found. */
export async function fuzzFixtures(root: string, perFile: number, seed: number): Promise<string[]> {
  const problems: string[] = [];
  const files = cFiles(path.join(root, 'fixtures'));
  for (let f = 0; f < files.length; f++) {
    const rel = path.relative(root, files[f]!);
    const sources = mutants(readFileSync(files[f]!, 'utf8'), perFile, seed + f).map((text, i) => ({ path: `${rel}#${i}`, text }));
    let result;
    try {
      result = await analyzeSources(sources);
    } catch (err) {
      problems.push(`${rel} (seed ${seed + f}): the run threw: ${err instanceof Error ? err.stack : String(err)}`);
      continue;
    }
    for (const n of result.notifications) {
      if (n.level === 'error' || /could not analyse/.test(n.message)) problems.push(`${n.file} (seed ${seed + f}): ${n.message}`);
    }
  }
  return problems;
}

