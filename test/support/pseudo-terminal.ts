// Runs bin/vmalint with its stderr on a real pseudo-terminal (python3's pty module: a process of
// its own, since Node has no pseudo-terminal of its own), for what only a terminal shows: the
// progress line. Its stdout stays a pipe, so that the report and the terminal's text are apart.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { supportModuleOnly } from './support-module.js';

supportModuleOnly(import.meta.url);

const BIN = fileURLToPath(new URL('../../../bin/vmalint', import.meta.url));

/** Opens a pseudo-terminal, runs argv[1:] with it as stderr, copies what it shows to stderr. */
const RUN_ON_PTY = `
import os, pty, subprocess, sys
master, slave = pty.openpty()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stderr=slave)
os.close(slave)
shown = bytearray()
while True:
    try:
        data = os.read(master, 65536)
    except OSError:  # EIO: every process holding the terminal has closed it
        break
    if not data:
        break
    shown += data
sys.stderr.buffer.write(bytes(shown))
sys.exit(child.wait())
`;

export interface TerminalRun {
  status: number | null;
  stdout: string;
  /** What the terminal was sent (its line discipline turns \n into \r\n). */
  terminal: string;
}

/** The reason python3 cannot give a pseudo-terminal here, or null. */
export function pseudoTerminalUnavailableReason(): string | null {
  const probe = spawnSync('python3', ['-c', 'import pty; pty.openpty()'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `python3 with a working pty module is needed (${probe.error?.message ?? probe.stderr.trim()})`;
}

export function runVmalintOnTerminal(argv: string[], options: { cwd: string; env?: Record<string, string> }): TerminalRun {
  const run = spawnSync('python3', ['-c', RUN_ON_PTY, process.execPath, BIN, ...argv], {
    cwd: options.cwd,
    env: { ...process.env, TERM: 'xterm', NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, terminal: run.stderr };
}
