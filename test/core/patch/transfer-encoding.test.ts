import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeQuotedPrintable } from '../../../core/patch/transfer-encoding.js';
import { base64 } from '../../support/mail-encode.js';

describe('quoted-printable (RFC 2045 §6.7)', () => {
  it('=XX is a byte of the charset, so UTF-8 comes back whole; a lone = is kept', () => {
    expect(decodeQuotedPrintable(['caf=C3=A9 a=b =3d'], 'utf-8').lines).toEqual(['café a=b =']);
    expect(decodeQuotedPrintable(['caf=E9'], 'iso-8859-1').lines).toEqual(['café']);
  });

  it('white space at the end of an encoded line is dropped; =20 there is kept', () => {
    expect(decodeQuotedPrintable(['a  ', 'b=20'], null).lines).toEqual(['a', 'b ']);
  });

  it('soft breaks join lines, and each decoded line knows the encoded line it begins on', () => {
    expect(decodeQuotedPrintable(['x=', 'y=', 'z', 'w'], null)).toEqual({ lines: ['xyz', 'w'], from: [0, 3] });
  });
});

describe('base64 (RFC 2045 §6.8)', () => {
  it('decodes to lines, each at the encoded line that holds its first byte', () => {
    const text = `${'a'.repeat(100)}\nsecond\n`;
    const encoded = base64(text).split('\n');
    // 100 bytes and a LF are 148 characters: "second" starts at byte 101, character 132, line 1.
    expect(decodeBase64(encoded, 'utf-8')).toEqual({ lines: ['a'.repeat(100), 'second'], from: [0, 1] });
  });

  it('CR LF line ends are read as one break', () => {
    expect(decodeBase64([Buffer.from('a\r\nb\r\n').toString('base64')], null)).toMatchObject({ lines: ['a', 'b'] });
  });

  it('a damaged text is refused with the line and the reason, never decoded with bytes missing', () => {
    expect(decodeBase64(['YWJj', 'Y!Jj'], null)).toEqual({ line: 1, why: 'a character that is not base64 ("!")' });
    expect(decodeBase64(['YQ==', 'YWJj'], null)).toMatchObject({ line: 1, why: expect.stringMatching(/after the padding/) });
    expect(decodeBase64(['YW=j'], null)).toMatchObject({ line: 0, why: expect.stringMatching(/`=` inside it/) });
    expect(decodeBase64(['YWJjZ'], null)).toMatchObject({ line: 0, why: expect.stringMatching(/5 characters, not a multiple of 4/) });
    expect(decodeBase64([Buffer.of(0x41, 0, 0x42).toString('base64')], null)).toMatchObject({ why: expect.stringMatching(/NUL bytes/) });
  });
});
