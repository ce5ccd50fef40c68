// Parses kept for a file analysed again with the same text and the same functions: a later round
// over a file whose callees' summaries changed (a cycle between files), and the kernel headers'
// second pass (src/header-summaries.ts), read the same syntax again.
// The kept copies are JavaScript objects (the tree-sitter tree is deleted once copied), bounded
// by the bytes of source they hold, the least recently used given up first. On 6.12 mm/ in one
// thread, the 18 files of round 2 were parsed again in 0.3 to 0.4 s of a 6 s run; kept, they cost
// 12 to 24 MB of peak RSS.

import type { SourceFile } from '../parse/ast.js';
import type { OnlyFunctions, ParsedFile } from './parse-file.js';

interface KeptParse {
  text: string;
  selection: string;
  parsed: ParsedFile;
}

export class KeptParses {
  /** By path, the least recently used first. */
  private readonly byPath = new Map<string, KeptParse>();
  private bytes = 0;

  /** @param budget The bytes of source text the kept parses may hold. */
  constructor(private readonly budget: number) {}

  /** The parse kept for the file with this text, these functions and these options, else null. */
  get(file: SourceFile, only: OnlyFunctions | null | undefined, readComments: boolean, noteUnparsed: boolean): ParsedFile | null {
    const kept = this.byPath.get(file.path);
    if (!kept || kept.text !== file.text || kept.selection !== selectionOf(only, readComments, noteUnparsed)) return null;
    this.byPath.delete(file.path);
    this.byPath.set(file.path, kept);
    return kept.parsed;
  }

  /** Keeps a parse of the file (in place of any earlier one of its path). */
  keep(file: SourceFile, only: OnlyFunctions | null | undefined, readComments: boolean, noteUnparsed: boolean, parsed: ParsedFile): void {
    if (file.text.length > this.budget) return;
    this.drop(file.path);
    this.byPath.set(file.path, { text: file.text, selection: selectionOf(only, readComments, noteUnparsed), parsed });
    this.bytes += file.text.length;
    for (const path of this.byPath.keys()) {
      if (this.bytes <= this.budget) break;
      this.drop(path);
    }
  }

  private drop(path: string): void {
    const kept = this.byPath.get(path);
    if (!kept) return;
    this.byPath.delete(path);
    this.bytes -= kept.text.length;
  }
}

function selectionOf(only: OnlyFunctions | null | undefined, readComments: boolean, noteUnparsed: boolean): string {
  return `${only ? only.ends.join(',') : '*'}|${readComments}|${noteUnparsed}`;
}
