import { runCli } from '../../cli/main.js';

/** The CLI in-process, with its output captured (STYLE.md §4). */
export async function cliInProcess(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}
