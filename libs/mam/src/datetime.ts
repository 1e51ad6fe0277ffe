/**
 * XEP-0082 DateTime profile: `CCYY-MM-DDThh:mm:ss[.sss]TZD`, TZD being `Z`
 * or `+hh:mm` / `-hh:mm`. Archive times are whole milliseconds, so a
 * finer fraction is rounded the way the bound needs it: down for an end
 * bound (a message at .0004 s is not before .0004, but one at .000 is),
 * up for a start bound.
 */
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, or undefined when `s` is not a valid XEP-0082 DateTime. */
export function parseDateTime(s: string, round: 'floor' | 'ceil' = 'floor'): number | undefined {
  const m = DATETIME.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (tz !== 'Z') {
    const oh = Number(tz!.slice(1, 3));
    const om = Number(tz!.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offset = (tz![0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  let ms = 0;
  if (frac !== undefined) {
    const whole = Number((frac + '000').slice(0, 3));
    const finer = /[1-9]/.test(frac.slice(3));
    ms = whole + (finer && round === 'ceil' ? 1 : 0);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  return utc.getTime() + ms - offset;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** XEP-0082 DateTime in UTC: `2010-07-10T23:08:25.123Z`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}
