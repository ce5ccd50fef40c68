// `vmalint install-hook`, end to end in scratch git repositories: the hook stops a commit whose
// staged changes bring a finding and lets a clean one through; core.hooksPath is honoured; a hook
// vmalint did not write is replaced only with --force, and kept.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runCli } from './support/run-cli.js';
import { BROKEN, CLEAN } from './support/leaky-source.js';

const hasGit = spawnSync('git', ['--version']).status === 0;
const skip = !hasGit && 'git is not installed';


type Git = (...args: string[]) => { status: number | null; output: string };

function repository(): { dir: string; git: Git; gitWith: (env: Record<string, string>) => Git } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmalint-hook-'));
  const cache = mkdtempSync(path.join(tmpdir(), 'vmalint-hook-cache-'));
  const gitWith = (env: Record<string, string>) => (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.email=test@example.org', '-c', 'user.name=test', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, VMALINT_CACHE_DIR: cache, ...env } });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  };
  const git = gitWith({});
  git('init', '-q');
  writeFileSync(path.join(dir, 'a.c'), CLEAN);
  git('add', 'a.c');
  git('commit', '-q', '--no-verify', '-m', 'clean');
  return { dir, git, gitWith };
}

test('install-hook: the hook stops a commit that brings a lock leak, with the finding, and lets a clean one through', { skip }, async () => {
  const { dir, git } = repository();
  const installed = await runCli(['install-hook'], { cwd: dir });
  assert.equal(installed.status, 0, installed.stderr);
  const hook = path.join(dir, '.git', 'hooks', 'pre-commit');
  assert.match(installed.stdout, new RegExp(`installed at ${hook.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.ok((statSync(hook).mode & 0o111) !== 0, 'the hook is executable');

  writeFileSync(path.join(dir, 'a.c'), BROKEN);
  git('add', 'a.c');
  const stopped = git('commit', '-q', '-m', 'leak');
  assert.equal(stopped.status, 1, stopped.output);
  assert.match(stopped.output, /a\.c:\d+:\d+: error: .*fixed_path\(\).*\[mmap-lock-imbalance\]/);
  assert.match(stopped.output, /commit stopped/);

  writeFileSync(path.join(dir, 'a.c'), `${CLEAN}/* a comment */\n`);
  git('add', 'a.c');
  const passed = git('commit', '-q', '-m', 'comment');
  assert.equal(passed.status, 0, passed.output);

  // Installing again updates vmalint's own hook without --force.
  assert.equal((await runCli(['install-hook'], { cwd: dir })).status, 0);
});

test('install-hook: the hook fails closed: a staged file vmalint could not analyse stops the commit; only a missing vmalint lets it through, with a warning', { skip }, async () => {
  const { dir, git, gitWith } = repository();
  assert.equal((await runCli(['install-hook'], { cwd: dir })).status, 0);
  writeFileSync(path.join(dir, 'b.c'), CLEAN);
  writeFileSync(path.join(dir, 'a.c'), BROKEN);
  git('add', 'a.c', 'b.c');
  // a.c cannot be analysed (b.c can): the change is not checked, so the commit stops.
  const stopped = gitWith({ VMALINT_INJECT_FAILURE: 'throw:a.c' })('commit', '-q', '-m', 'unchecked');
  assert.equal(stopped.status, 1, stopped.output);
  assert.match(stopped.output, /a\.c: error: could not be analysed: injected failure/);
  assert.match(stopped.output, /could not check the staged changes.*commit stopped.*--no-verify/);
  assert.equal(git('rev-list', '--count', 'HEAD').output.trim(), '1');
  // vmalint itself is not there: the commit goes through, with a warning that says so.
  const missing = gitWith({ VMALINT: path.join(dir, 'no-such-vmalint') })('commit', '-q', '-m', 'without vmalint');
  assert.equal(missing.status, 0, missing.output);
  assert.match(missing.output, /warning: .*no-such-vmalint is not there.*committing without the check/);
});

test('install-hook: the hook runs vmalint without NODE_EXTRA_CA_CERTS (certificates Node reads at its start, which vmalint never uses)', { skip }, async () => {
  const { dir, gitWith } = repository();
  assert.equal((await runCli(['install-hook'], { cwd: dir })).status, 0);
  // A stand-in vmalint that says what it was given.
  const standIn = path.join(dir, 'stand-in.sh');
  writeFileSync(standIn, '#!/bin/sh\necho "certificates: ${NODE_EXTRA_CA_CERTS-unset}; cache: $VMALINT_CACHE_DIR; args: $*"\nexit 0\n', { mode: 0o755 });
  const r = gitWith({ VMALINT: standIn, NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt' })('commit', '-q', '--allow-empty', '-m', 'empty');
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /certificates: unset; cache: \S+; args: --staged --quiet/);
});

test('install-hook: core.hooksPath is where the hook goes', { skip }, async () => {
  const { dir } = repository();
  execFileSync('git', ['config', 'core.hooksPath', 'githooks'], { cwd: dir });
  const installed = await runCli(['install-hook'], { cwd: dir });
  assert.equal(installed.status, 0, installed.stderr);
  assert.ok(existsSync(path.join(dir, 'githooks', 'pre-commit')));
  assert.ok(!existsSync(path.join(dir, '.git', 'hooks', 'pre-commit')));
});

test('install-hook: a hook vmalint did not write is kept unless --force, which keeps it beside the new one', { skip }, async () => {
  const { dir } = repository();
  const hook = path.join(dir, '.git', 'hooks', 'pre-commit');
  writeFileSync(hook, '#!/bin/sh\necho mine\n', { mode: 0o755 });
  const refused = await runCli(['install-hook'], { cwd: dir });
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /exists and was not written by vmalint/);
  assert.equal(readFileSync(hook, 'utf8'), '#!/bin/sh\necho mine\n');

  const forced = await runCli(['install-hook', '--force'], { cwd: dir });
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(readFileSync(`${hook}.before-vmalint`, 'utf8'), '#!/bin/sh\necho mine\n');
  assert.match(readFileSync(hook, 'utf8'), /vmalint --staged|--staged --quiet/);
  const outside = await runCli(['install-hook'], { cwd: mkdtempSync(path.join(tmpdir(), 'vmalint-nogit-')) });
  assert.equal(outside.status, 2);
  assert.match(outside.stderr, /^vmalint: install-hook: not a git repository/);
});
