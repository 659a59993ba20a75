/**
 * Numbers written as `toLocaleString('en-US', …)` writes them — thousands separated by commas,
 * rounded half away from zero on the shortest decimal that reads back as the number (ECMA-402's
 * `halfExpand`, as V8 formats it) — without it: its first call in a process or worker loads ICU's
 * number formatting, about 20 ms of every cold command that prints a count. A number this does
 * not write in positional notation (an exponent, NaN, ∞) still goes to toLocaleString().
 */
export function decimal(x: number, minFraction: number, maxFraction: number): string {
  const digits = String(Math.abs(x));
  if (!/^\d+(\.\d+)?$/.test(digits)) return x.toLocaleString('en-US', { minimumFractionDigits: minFraction, maximumFractionDigits: maxFraction });
  const dot = digits.indexOf('.');
  let whole = dot < 0 ? digits : digits.slice(0, dot);
  let fraction = dot < 0 ? '' : digits.slice(dot + 1);
  if (fraction.length > maxFraction) {
    const up = fraction.charCodeAt(maxFraction) >= 0x35; // '5'
    fraction = fraction.slice(0, maxFraction);
    if (up) [whole, fraction] = roundedUp(whole, fraction);
  }
  fraction = fraction.replace(/0+$/, '').padEnd(minFraction, '0');
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return `${sign}${grouped(whole)}${fraction ? `.${fraction}` : ''}`;
}

/** whole.fraction plus one in the fraction's last place (in the units when there is no fraction). */
function roundedUp(whole: string, fraction: string): [string, string] {
  const all = (whole + fraction).split('');
  let i = all.length - 1;
  while (i >= 0 && all[i] === '9') all[i--] = '0';
  if (i < 0) all.unshift('1');
  else all[i] = String(Number(all[i]) + 1);
  const cut = all.length - fraction.length;
  return [all.slice(0, cut).join(''), all.slice(cut).join('')];
}

/** "1234567" → "1,234,567" */
function grouped(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+$)/g, ',');
}
