/**
 * A mail's `Date:` header as a time, read by RFC 5322's grammar (and the liberties mailers take
 * with it) rather than by Date.parse(): Date.parse() reads a date without a zone in the host's
 * zone, so the order of a thread, and with it whom a reply answers, would change from host to host.
 */

/**
 * `[(comment)] [Fri[day][,]] 15 Oct[ober] 2010 12:00[:00[.123]] [zone] [zone name] [(comment)`:
 * the obsolete 2- and 3-digit years, a weekday without its comma, full day and month names, a
 * numeric zone with a colon or behind GMT/UTC, a zone name after the numeric one (`+0000 GMT`) or
 * before it (`PST -0800`), and a comment left open, as mailers write them.
 */
const DATE_TIME =
  /^(?:\([^)]*\)\s*)?(?:[A-Za-z]+(?:\s*,\s*|\s+))?(\d{1,2})\s+([A-Za-z]+)\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2})(?:\.\d+)?)?(?:\s*(?:(?:GMT|UTC|UT)?([+-]\d{2}:?\d{2})|([A-Za-z][A-Za-z0-9]*)(?:\s*([+-]\d{2}:?\d{2}))?))?(?:\s+[A-Za-z]+)?\s*(?:\(.*)?$/;
const MAX_DATE = 200;
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
/** RFC 5322 section 4.3's obsolete zone names, in hours from UTC. */
const ZONE_NAMES: Readonly<Record<string, number>> = { ut: 0, utc: 0, gmt: 0, z: 0, est: -5, edt: -4, cst: -6, cdt: -5, mst: -7, mdt: -6, pst: -8, pdt: -7 };

/**
 * Milliseconds since the epoch, or NaN when `date` is not a mail date-time. A zone that is
 * missing or unknown (`CEST`, `EST5EDT`, a military letter) is read as UTC, as RFC 5322 (section
 * 4.3) asks of a zone whose meaning is not known: the same input then gives the same order on
 * every host. A day the month does not have (31 Feb) or an offset with 60 minutes or more is NaN.
 */
export function mailTime(date: string): number {
  // A real Date: is under 100 characters; a longer one is no date, and the pattern stays linear.
  const text = date.trim();
  if (text.length > MAX_DATE) return Number.NaN;
  const m = DATE_TIME.exec(text);
  if (!m) return Number.NaN;
  const [, day, monthName, yearText, hour, minute, second, numeric, zoneName, afterName] = m;
  // A numeric zone wins over a name, before it (`+0000 GMT`) or after it (`PST -0800`).
  const offset = numeric ?? afterName;
  const month = monthOf(monthName);
  if (month < 0 || Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 60) return Number.NaN;
  // RFC 5322 section 4.3: a 2-digit year below 50 is 20xx, any other 2- or 3-digit year is 1900 plus it.
  const y = Number(yearText);
  const year = yearText.length === 2 && y < 50 ? 2000 + y : yearText.length < 4 ? 1900 + y : y;
  const offsetMinutes = offset !== undefined ? zoneMinutes(offset) : 60 * (ZONE_NAMES[(zoneName ?? 'ut').toLowerCase()] ?? 0);
  // Date.UTC() would roll 31 Feb into March, and reads years 0–99 as 1900–1999: a day the month
  // lacks is no date, and the time is taken 400 years on (a whole Gregorian cycle) and brought back.
  if (Number(day) < 1 || Number(day) > daysIn(year, month)) return Number.NaN;
  const t = Date.UTC(year + 400, month, Number(day), Number(hour), Number(minute), Number(second ?? 0)) - GREGORIAN_CYCLE_MS;
  return t - offsetMinutes * 60_000;
}

/** 146,097 days: the Gregorian calendar repeats every 400 years. */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000;

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month];
}

/** A month by its three-letter abbreviation or its full name, from 0; -1 when neither. */
function monthOf(name: string): number {
  const n = name.toLowerCase();
  return MONTHS.findIndex((full) => n === full || n === full.slice(0, 3));
}

/** `+0530` or `+05:30` as 330, `-0700` as -420; NaN with 60 minutes or more. */
function zoneMinutes(zone: string): number {
  const digits = zone.replace(':', '');
  const sign = digits[0] === '-' ? -1 : 1;
  const minutes = Number(digits.slice(3, 5));
  return minutes >= 60 ? Number.NaN : sign * (Number(digits.slice(1, 3)) * 60 + minutes);
}
