// `vmalint install-hook`: a git pre-commit hook that runs `vmalint --staged` and stops a commit
// whose staged changes bring a finding. It goes where git looks for hooks (core.hooksPath
// honoured), and never replaces a hook vmalint did not write unless asked to (--force, which
// keeps the old one beside it).

import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { UsageError } from './usage-error.js';
import { makeDirectory } from './make-directory.js';

/** The line that marks a hook as vmalint's. */
const MARKER = '# vmalint pre-commit hook, written by `vmalint install-hook`';

/**
 * What the hook takes out of vmalint's environment: NODE_EXTRA_CA_CERTS makes Node 20 read that
 * bundle of certificates at every start (40 ms of a 0.18 s hook on one file of mm/, on a machine
 * that sets it for every process), and vmalint opens no network connection.
 */
export const HOOK_UNSET_ENVIRONMENT = ['NODE_EXTRA_CA_CERTS'] as const;

function shellQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The hook's text: runs this installation of vmalint (or $VMALINT) with the Node that runs it now.
 * It fails closed: a commit goes through only when vmalint checked the staged changes and found
 * nothing. A finding, a staged file vmalint could not analyse, or any other failure stops it (with
 * the way to commit anyway once); only a vmalint that is not there at all lets it through, with a
 * warning, so that removing vmalint does not make every commit fail.
 */
export function hookScript(node: string, vmalint: string): string {
  return `#!/bin/sh
${MARKER}
# (run it again to update this file; delete the file to remove the hook). It stops a commit whose
# staged changes bring an mmap_lock or VMA lock finding, or that it could not check;
# \`git commit --no-verify\` skips it once.
missing() {
  echo "vmalint: warning: $1 is not there (vmalint uninstalled or moved?): committing without the check; run vmalint install-hook again to restore it" >&2
  exit 0
}
if [ -n "$VMALINT" ]; then
  command -v "$VMALINT" >/dev/null 2>&1 || missing "$VMALINT"
  set -- "$VMALINT"
else
  [ -x ${shellQuoted(node)} ] || missing ${shellQuoted(node)}
  [ -f ${shellQuoted(vmalint)} ] || missing ${shellQuoted(vmalint)}
  set -- ${shellQuoted(node)} ${shellQuoted(vmalint)}
fi
# Read by Node at its start, not used by vmalint (it opens no connection).
unset ${HOOK_UNSET_ENVIRONMENT.join(' ')}
"$@" --staged --quiet
status=$?
case $status in
0) exit 0 ;;
1) echo "vmalint: the staged changes bring the findings above: commit stopped (git commit --no-verify commits anyway)" >&2
   exit 1 ;;
*) echo "vmalint: could not check the staged changes (exit status $status, the reason is above): commit stopped (git commit --no-verify commits without the check)" >&2
   exit 1 ;;
esac
`;
}

/** Where git runs the pre-commit hook of the repository holding `cwd`. */
function hookPath(cwd: string): string {
  let hooks: string;
  try {
    hooks = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-path', 'hooks'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8').trim();
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    if (e.code === 'ENOENT') throw new UsageError('install-hook: git is not installed (or not on PATH)');
    throw new UsageError(`install-hook: ${(e.stderr?.toString('utf8').trim().split('\n')[0] ?? e.message).replace(/^fatal: /, '')}`);
  }
  return path.join(hooks, 'pre-commit');
}

/** Installs (or updates) the hook; returns what was done, for the user. */
export function installHook(cwd: string, force: boolean, node: string, vmalint: string): string {
  const file = hookPath(cwd);
  let replaced = '';
  if (existsSync(file)) {
    const current = readFileSync(file, 'utf8');
    if (!current.includes(MARKER)) {
      if (!force) {
        throw new UsageError(`install-hook: ${file} exists and was not written by vmalint: call \`vmalint --staged\` from it, or replace it with --force (the old hook is kept beside it)`);
      }
      const kept = `${file}.before-vmalint`;
      renameSync(file, kept);
      replaced = ` (the hook that was there is kept as ${kept})`;
    }
  }
  makeDirectory(path.dirname(file));
  writeFileSync(file, hookScript(node, vmalint));
  chmodSync(file, 0o755);
  return `vmalint: pre-commit hook installed at ${file}${replaced}: each commit runs \`vmalint --staged\` and stops on a finding its changes bring (git commit --no-verify skips it once)\n`;
}
