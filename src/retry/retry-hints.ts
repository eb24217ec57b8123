/**
 * Server retry hints, read from lower-cased response headers. Precedence:
 * `x-should-retry` decides whether to retry; the delay comes from
 * `retry-after-ms`, else from `retry-after` (seconds or an HTTP date).
 */

export interface RetryHints {
  /** `x-should-retry: true|false`; null when absent or not a boolean. */
  shouldRetry: boolean | null;
  /** The wait the server asked for, ms (never negative); null when no valid delay hint was sent. */
  delayMs: number | null;
  /** Which header gave `delayMs`. */
  delayHint: 'retry-after-ms' | 'retry-after' | null;
}

const NUMBER = /^\s*\d+(?:\.\d+)?\s*$/;

/** Reads the hints; `nowMs` (wall clock, ms since the epoch) anchors an HTTP-date `Retry-After`. */
export function parseRetryHints(headers: Record<string, string>, nowMs: number): RetryHints {
  const shouldRetryRaw = headers['x-should-retry']?.trim().toLowerCase();
  const shouldRetry = shouldRetryRaw === 'true' ? true : shouldRetryRaw === 'false' ? false : null;

  const retryAfterMs = headers['retry-after-ms'];
  if (retryAfterMs !== undefined && NUMBER.test(retryAfterMs)) {
    return { shouldRetry, delayMs: Number(retryAfterMs), delayHint: 'retry-after-ms' };
  }
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const delayMs = parseRetryAfter(retryAfter, nowMs);
    if (delayMs !== null) return { shouldRetry, delayMs, delayHint: 'retry-after' };
  }
  return { shouldRetry, delayMs: null, delayHint: null };
}

/** `Retry-After` as delay-seconds or an HTTP date -> ms to wait (a past date gives 0); null when unparseable. */
export function parseRetryAfter(value: string, nowMs: number): number | null {
  if (NUMBER.test(value)) return Number(value) * 1000;
  const dateMs = parseHttpDate(value, nowMs);
  return dateMs === null ? null : Math.max(0, dateMs - nowMs);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 section 5.6.7: the preferred IMF-fixdate and the two obsolete forms recipients must accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

/**
 * Parses an HTTP date (IMF-fixdate, RFC 850 or asctime) to ms since the epoch;
 * null when it is none of them or names an impossible time. An RFC 850
 * two-digit year more than 50 years ahead of `nowMs` is read as the past century.
 */
export function parseHttpDate(value: string, nowMs: number): number | null {
  const parts = matchHttpDate(value.trim(), nowMs);
  if (!parts) return null;
  const { year, month, day, h, m, sec } = parts;
  const daysInMonth = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  // Date.UTC would roll 31 Feb into March; an impossible date is not a date.
  // The grammar allows a leap second (60); Date.UTC rolls it into the next minute.
  if (h > 23 || m > 59 || sec > 60 || day < 1 || day > daysInMonth) return null;
  return Date.UTC(year, month, day, h, m, sec);
}

interface DateParts {
  year: number;
  /** 0-based. */
  month: number;
  day: number;
  h: number;
  m: number;
  sec: number;
}

function matchHttpDate(s: string, nowMs: number): DateParts | null {
  const monthIndex = (name: string) => MONTHS.indexOf(name.toLowerCase());
  const imf = IMF_FIXDATE.exec(s);
  if (imf) {
    const [day, month, year, h, m, sec] = imf.slice(1) as string[];
    return {
      year: Number(year),
      month: monthIndex(month!),
      day: Number(day),
      h: Number(h),
      m: Number(m),
      sec: Number(sec),
    };
  }
  const rfc850 = RFC_850.exec(s);
  if (rfc850) {
    const [day, month, yy, h, m, sec] = rfc850.slice(1) as string[];
    const currentYear = new Date(nowMs).getUTCFullYear();
    let year = Math.floor(currentYear / 100) * 100 + Number(yy);
    if (year > currentYear + 50) year -= 100;
    return {
      year,
      month: monthIndex(month!),
      day: Number(day),
      h: Number(h),
      m: Number(m),
      sec: Number(sec),
    };
  }
  const asctime = ASCTIME.exec(s);
  if (asctime) {
    const [month, day, h, m, sec, year] = asctime.slice(1) as string[];
    return {
      year: Number(year),
      month: monthIndex(month!),
      day: Number(day!.trim()),
      h: Number(h),
      m: Number(m),
      sec: Number(sec),
    };
  }
  return null;
}
