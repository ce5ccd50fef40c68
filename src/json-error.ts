// JSON.parse's error message made readable for a user: on one line (it quotes short inputs whole,
// line breaks included), with the line and column of the position it names (Node 20 gives only an
// offset). Shared by the configuration and summaries files (src/kb/config.ts) and vmalint merge.

export function jsonErrorText(error: unknown, text: string): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
  const position = /at position (\d+)/.exec(message);
  if (!position || /\bline \d+/.test(message)) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message} (line ${line} column ${column})`;
}
