/**
 * `JSON.stringify(value, null, 2)` of an object, in pieces: its members one by one, and the
 * elements of its array member `key` `block` at a time, so that a million-event array is never
 * one string (`apf-lab trace --json`). Joined, the pieces are JSON.stringify's text byte for byte:
 * each block is JSON.stringify's own text of those elements, indented one level deeper as the
 * whole would have them; members JSON leaves out (undefined, functions) are left out.
 */
export function* jsonPieces(value: Readonly<Record<string, unknown>>, key: string, block = 4096): Generator<string> {
  if (!(Number.isInteger(block) && block > 0)) throw new RangeError(`jsonPieces: block must be a whole number above 0, got ${block}`);
  let members = 0;
  for (const name of Object.keys(value)) {
    const member = value[name];
    const head = `${members === 0 ? '{\n' : ',\n'}  ${JSON.stringify(name)}: `;
    if (name === key && Array.isArray(member) && member.length > 0) {
      members++;
      yield `${head}[\n`;
      for (let at = 0; at < member.length; at += block) {
        // `[\n  a,\n  b\n]`: the elements one level in; in the object they are two.
        const text = JSON.stringify(member.slice(at, at + block), null, 2);
        yield `${at === 0 ? '' : ',\n'}  ${text.slice(2, -2).replace(/\n/g, '\n  ')}`;
      }
      yield '\n  ]';
      continue;
    }
    const text = JSON.stringify(member, null, 2) as string | undefined;
    if (text === undefined) continue;
    members++;
    yield `${head}${text.replace(/\n/g, '\n  ')}`;
  }
  yield members === 0 ? '{}' : '\n}';
}
