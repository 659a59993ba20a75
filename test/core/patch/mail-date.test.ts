import { describe, expect, it } from 'vitest';
import { mailTime } from '../../../core/patch/mail-date.js';

describe('mailTime(): a Date: header read by RFC 5322, the same on every host', () => {
  const utc = Date.UTC(2010, 9, 15, 10, 0, 0);

  it('reads the zone: an offset, an obsolete name, a comment after it', () => {
    expect(mailTime('Fri, 15 Oct 2010 10:00:00 +0000')).toBe(utc);
    expect(mailTime('Fri, 15 Oct 2010 12:00:00 +0200')).toBe(utc);
    expect(mailTime('Fri, 15 Oct 2010 03:00:00 -0700 (PDT)')).toBe(utc);
    expect(mailTime('15 Oct 2010 05:00:00 EST')).toBe(utc);
    expect(mailTime('Fri, 15 Oct 2010 10:00:00 GMT')).toBe(utc);
  });

  it('reads a missing or unknown zone as UTC (RFC 5322 section 4.3), not in the host zone', () => {
    expect(mailTime('Fri, 15 Oct 2010 10:00:00')).toBe(utc);
    expect(mailTime('Fri, 15 Oct 2010 10:00:00 CEST')).toBe(utc);
    expect(mailTime('Fri, 15 Oct 2010 10:00')).toBe(utc);
  });

  it('reads the obsolete 2-digit years', () => {
    expect(mailTime('15 Oct 10 10:00:00 +0000')).toBe(utc);
    expect(mailTime('15 Oct 99 10:00:00 +0000')).toBe(Date.UTC(1999, 9, 15, 10, 0, 0));
  });

  it('reads what mailers write beyond the grammar, as Date.parse() did (one unread date left a whole thread unsorted)', () => {
    const noon = Date.UTC(2010, 9, 15, 12, 0, 0);
    for (const d of [
      'Fri, 15 Oct 2010 12:00:00 +0000 GMT',
      'Fri 15 Oct 2010 12:00:00 +0000',
      'Friday, 15 Oct 2010 12:00:00 +0000',
      '15 October 2010 12:00:00 +0000',
      '(c) Fri, 15 Oct 2010 12:00:00 +0000',
      'Fri, 15 Oct 2010 12:00:00 +0000 (unclosed',
      'Fri, 15 Oct 2010 12:00:00.123 +0000',
      'Fri, 15 Oct 2010 12:00:00 EST5EDT',
    ]) {
      expect(mailTime(d), d).toBe(noon);
    }
    expect(mailTime('Fri, 15 Oct 2010 17:30:00 +05:30')).toBe(noon);
    expect(mailTime('Fri, 15 Oct 2010 14:00:00 GMT+0200')).toBe(noon);
    // A zone name before the numeric zone: the number is the zone (it was no date at all).
    expect(mailTime('Fri, 15 Oct 2010 04:00:00 PST -0800')).toBe(noon);
    expect(mailTime('Fri, 15 Oct 2010 05:00:00 XYZ -0700')).toBe(noon);
  });

  it('a four-digit year below 100 is that year, a day the month lacks or a zone of 60 minutes is no date', () => {
    expect(new Date(mailTime('Fri, 15 Oct 0099 12:00:00 +0000')).getUTCFullYear()).toBe(99);
    expect(mailTime('Fri, 31 Feb 2010 12:00:00 +0000')).toBeNaN();
    expect(mailTime('Fri, 15 Oct 2010 12:00:00 +0099')).toBeNaN();
  });

  it('a header longer than any date is no date, read no further (a run of 100,000 blanks after the weekday took 3.6 s in the pattern)', () => {
    const date = 'Fri, 15 Oct 2010 12:00:00 +0000';
    expect(mailTime(`${date} (${'x'.repeat(200 - date.length - 3)})`)).toBe(Date.UTC(2010, 9, 15, 12, 0, 0));
    expect(mailTime(`${date} (${'x'.repeat(201 - date.length - 3)})`)).toBeNaN();
    expect(mailTime(`Thu${' '.repeat(100_000)}x`)).toBeNaN();
    // The cap is on the date, not on blanks around it.
    expect(mailTime(`   ${date}${' '.repeat(180)}`)).toBe(Date.UTC(2010, 9, 15, 12, 0, 0));
  });

  it('is NaN for what is not a mail date (a review page date, a bad month, an hour out of range)', () => {
    expect(mailTime('May 26, 2020, 12:56 p.m. UTC')).toBeNaN();
    expect(mailTime('15 Foo 2010 10:00:00 +0000')).toBeNaN();
    expect(mailTime('15 Oct 2010 25:00:00 +0000')).toBeNaN();
    expect(mailTime('')).toBeNaN();
  });
});
