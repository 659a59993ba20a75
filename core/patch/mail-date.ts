/**
 * A mail's `Date:` header as a time, read by RFC 5322's own grammar rather than Date.parse():
 * Date.parse() reads a date without a zone in the host's zone, so the order of a thread, and with
 * it whom a reply answers, would change from host to host.
 */

/** `[Fri,] 15 Oct 2010 12:00[:00] [zone] [(comment)]`, with the obsolete 2- and 3-digit years. */
const DATE_TIME = /^(?:[A-Za-z]{3}\s*,\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{2})(?:\s*:\s*(\d{2}))?(?:\s+([+-]\d{4}|[A-Za-z]+))?\s*(?:\(.*\))?\s*$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
/** RFC 5322 section 4.3's obsolete zone names, in hours from UTC. */
const ZONE_NAMES: Readonly<Record<string, number>> = { ut: 0, gmt: 0, est: -5, edt: -4, cst: -6, cdt: -5, mst: -7, mdt: -6, pst: -8, pdt: -7 };

/**
 * Milliseconds since the epoch, or NaN when `date` is not an RFC 5322 date-time. A zone that is
 * missing or unknown (`CEST`, a military letter) is read as UTC, as RFC 5322 (section 4.3) asks of
 * a zone whose meaning is not known: the same input then gives the same order on every host.
 */
export function mailTime(date: string): number {
  const m = DATE_TIME.exec(date.trim());
  if (!m) return Number.NaN;
  const [, day, monthName, yearText, hour, minute, second, zone] = m;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  if (month < 0 || Number(day) < 1 || Number(day) > 31 || Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 60) return Number.NaN;
  // RFC 5322 section 4.3: a 2-digit year below 50 is 20xx, any other 2- or 3-digit year is 1900 plus it.
  const y = Number(yearText);
  const year = yearText.length === 2 && y < 50 ? 2000 + y : yearText.length < 4 ? 1900 + y : y;
  const offsetMinutes = zone === undefined ? 0 : /^[+-]/.test(zone) ? zoneMinutes(zone) : 60 * (ZONE_NAMES[zone.toLowerCase()] ?? 0);
  return Date.UTC(year, month, Number(day), Number(hour), Number(minute), Number(second ?? 0)) - offsetMinutes * 60_000;
}

/** `+0530` as 330, `-0700` as -420. */
function zoneMinutes(zone: string): number {
  const sign = zone[0] === '-' ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
}
