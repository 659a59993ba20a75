/**
 * The terminal width of a string whose characters are all one column wide, for yargs' help
 * layout in the bundled binary (package.json `bundle` aliases `string-width` to this file).
 *
 * yargs (through cliui and wrap-ansi) measures every help cell with `string-width`, which at load
 * builds an `Intl.Segmenter` and compiles a `\p{RGI_Emoji}` regular expression: about 60 ms of a
 * cold `apf-lab --help`, more than the rest of yargs. The help text is this CLI's own and has no
 * wide, combining or emoji characters, so a code-point count after dropping colour escapes gives
 * the same widths; test/cli/bundle.test.ts checks that every command's help is byte-identical
 * between the bundle and the unbundled build, which keeps the real `string-width`.
 */
// SGR and other CSI escapes (ESC [ … final byte), as yargs' colour output would contain.
const CSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;

export default function narrowWidth(text: string): number {
  let width = 0;
  for (const _ of text.replace(CSI, '')) width++;
  return width;
}
