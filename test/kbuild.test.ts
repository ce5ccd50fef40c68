// The kernel build's checker interface (--kbuild, -p compile_commands.json): compiler flags read
// for their macros and include paths, the build's autoconf.h deciding #ifdef / IS_ENABLED() inside
// functions, in a scratch tree shaped as a configured kernel's.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseAutoconf, parseCompilerArguments } from '../src/kbuild.js';
import { runCli } from './support/run-cli.js';

test('kbuild: the macros, include paths and files of a compiler command line; the rest is read past', () => {
  const c = parseCompilerArguments(
    ['-Wp,-MMD,mm/.x.o.d', '-nostdinc', '-I./include', '-I', 'arch/x86/include', '-isystem', '/usr/lib/gcc/include', '-include', './include/linux/kconfig.h', '-D__KERNEL__', '-D', 'KBUILD_MODNAME="x"', '-UFOO', '-std=gnu11', '-O2', '-o', 'mm/x.o', '--param', 'allow-store-data-races=0', '-MF', 'dep.d', 'mm/x.c'],
    '/build',
  );
  assert.deepEqual(c, {
    directory: '/build',
    files: ['mm/x.c'],
    defines: ['__KERNEL__', 'KBUILD_MODNAME="x"'],
    undefines: ['FOO'],
    includeDirs: ['./include', 'arch/x86/include', '/usr/lib/gcc/include'],
    includes: ['./include/linux/kconfig.h'],
  });
  assert.deepEqual([...parseAutoconf('#define CONFIG_A 1\n#define CONFIG_B_MODULE 1\n#define CONFIG_N 64\n#define CONFIG_S "x y"\n#define OTHER 1\n')], [
    ['CONFIG_A', '1'],
    ['CONFIG_B_MODULE', '1'],
    ['CONFIG_N', '64'],
    ['CONFIG_S', '"x y"'],
  ]);
});

// Four leaks: under an option that is set, one that is not, a module option through IS_ENABLED(),
// and an option that is not set through IS_ENABLED(). Without the build's configuration every
// option is undecided and all four are reported; with it, two.
/** A function that leaks the mmap read lock when `bad` (the leak is reported at its line 5). */
const leakingFunction = (name: string): string => `int ${name}(struct mm_struct *mm, int bad)
{
	mmap_read_lock(mm);
	if (bad)
		return -EINVAL;
	mmap_read_unlock(mm);
	return 0;
}
`;

const SOURCE = `struct mm_struct;

#ifdef CONFIG_PER_VMA_LOCK
${leakingFunction('set')}#endif

#ifdef CONFIG_NUMA
${leakingFunction('unset')}#endif

int inside(struct mm_struct *mm, int bad)
{
	mmap_read_lock(mm);
#if IS_ENABLED(CONFIG_USERFAULTFD)
	if (bad)
		return -EINVAL;
#endif
#if IS_ENABLED(CONFIG_KSM)
	if (bad > 1)
		return -EIO;
#endif
	mmap_read_unlock(mm);
	return 0;
}
`;

function configuredTree(source = SOURCE): string {
  const root = mkdtempSync(path.join(tmpdir(), 'vmalint-kbuild-'));
  for (const dir of ['include/generated', 'include/linux', 'mm']) mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, 'include/generated/autoconf.h'), '#define CONFIG_PER_VMA_LOCK 1\n#define CONFIG_USERFAULTFD_MODULE 1\n#define CONFIG_NR_CPUS 64\n');
  writeFileSync(path.join(root, 'include/linux/kconfig.h'), '#include <generated/autoconf.h>\n');
  writeFileSync(path.join(root, 'mm/x.c'), source);
  return root;
}

const FLAGS = ['-Wp,-MMD,mm/.x.o.d', '-nostdinc', '-I./include', '-include', './include/linux/kconfig.h', '-D__KERNEL__', '-std=gnu11', '-fno-strict-aliasing', '-O2'];
const leakLines = (text: string): number[] => [...text.matchAll(/^mm\/x\.c:(\d+):\d+: error: /gm)].map((m) => Number(m[1]));

test('kbuild: --kbuild decides the #ifdefs with the build\'s autoconf.h, warns on stderr and lets the build go on', async () => {
  const root = configuredTree();
  const heuristic = await runCli(['--no-cache', '--rule', 'mmap-lock-imbalance', path.join(root, 'mm/x.c')], { cwd: root });
  assert.deepEqual(leakLines(heuristic.stdout.replace(new RegExp(`^${root}/`, 'gm'), '')), [8, 19, 30, 34]);

  const checked = await runCli(['--kbuild', ...FLAGS, 'mm/x.c'], { cwd: root, env: {} });
  assert.equal(checked.status, 0);
  assert.equal(checked.stdout, '');
  assert.deepEqual(leakLines(checked.stderr), [8, 30]);
  const strict = await runCli(['--kbuild', '--kbuild-werror', ...FLAGS, 'mm/x.c'], { cwd: root, env: {} });
  assert.equal(strict.status, 1);

  const unconfigured = await runCli(['--kbuild', '-D__KERNEL__', 'mm/x.c'], { cwd: root, env: {} });
  assert.equal(unconfigured.status, 0);
  assert.match(unconfigured.stderr, /no generated\/autoconf\.h among the include directories/);
  assert.deepEqual(leakLines(unconfigured.stderr), [8, 19, 30, 34]);
});

test('kbuild: -p compile_commands.json analyses its C files with the build\'s configuration', async () => {
  const root = configuredTree();
  writeFileSync(
    path.join(root, 'compile_commands.json'),
    JSON.stringify([
      { directory: root, file: 'mm/x.c', command: `gcc ${FLAGS.join(' ')} -DKBUILD_MODNAME='"x"' -c -o mm/x.o mm/x.c` },
      { directory: root, file: path.join(root, 'arch/entry.S'), arguments: ['gcc', '-c', 'arch/entry.S'] },
    ]),
  );
  const run = await runCli(['--no-cache', '-p', 'compile_commands.json'], { cwd: root, env: {} });
  assert.equal(run.status, 1, run.stderr);
  assert.deepEqual(leakLines(run.stdout), [8, 30]);
  const elsewhere = await runCli(['--no-cache', '-p', 'compile_commands.json', path.join(root, 'drivers')], { cwd: root, env: {} });
  assert.deepEqual([elsewhere.status, elsewhere.stdout], [0, '']);
  writeFileSync(path.join(root, 'bad.json'), '{"not": "a list"}');
  const bad = await runCli(['-p', 'bad.json'], { cwd: root, env: {} });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^vmalint: -p: bad\.json: not a compilation database/);
});

test('kbuild: #if comparisons of CONFIG_ values are decided by the configuration (an option it does not set is 0)', async () => {
  const leak = (name: string, condition: string): string => `#if ${condition}\n${leakingFunction(name)}#endif\n`;
  const source = ['struct mm_struct;', leak('many_cpus', 'CONFIG_NR_CPUS > 32'), leak('five_levels', 'CONFIG_PGTABLE_LEVELS == 5'), leak('unset_number', 'CONFIG_NODES_SHIFT >= 1'), leak('hex', 'CONFIG_NR_CPUS == 0x40')].join('\n');
  const root = configuredTree(source);
  writeFileSync(path.join(root, 'include/generated/autoconf.h'), '#define CONFIG_NR_CPUS 64\n#define CONFIG_PGTABLE_LEVELS 4\n');
  const functions = (text: string): string[] => [...text.matchAll(/out of (\w+)\(\)/g)].map((m) => m[1]!);
  const checked = await runCli(['--kbuild', ...FLAGS, 'mm/x.c'], { cwd: root, env: {} });
  assert.deepEqual(functions(checked.stderr), ['many_cpus', 'hex']);
  const heuristic = await runCli(['--no-cache', '--rule', 'mmap-lock-imbalance', path.join(root, 'mm/x.c')], { cwd: root });
  assert.deepEqual(functions(heuristic.stdout), ['many_cpus', 'five_levels', 'unset_number', 'hex']);
});
