import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHttpDate, parseRetryAfter, parseRetryHints } from '../../src/retry/retry-hints.js';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0); // Sun, 01 Jun 2025 12:00:00 GMT

describe('parseRetryHints', () => {
  it('reads x-should-retry as a boolean, case-insensitively, and ignores other values', () => {
    assert.equal(parseRetryHints({ 'x-should-retry': 'true' }, NOW).shouldRetry, true);
    assert.equal(parseRetryHints({ 'x-should-retry': ' FALSE ' }, NOW).shouldRetry, false);
    assert.equal(parseRetryHints({ 'x-should-retry': 'maybe' }, NOW).shouldRetry, null);
    assert.equal(parseRetryHints({}, NOW).shouldRetry, null);
  });

  it('prefers retry-after-ms over retry-after', () => {
    const h = parseRetryHints({ 'retry-after-ms': '250', 'retry-after': '7' }, NOW);
    assert.deepEqual(h, { shouldRetry: null, delayMs: 250, delayHint: 'retry-after-ms' });
  });

  it('falls back to retry-after when retry-after-ms is malformed', () => {
    const h = parseRetryHints({ 'retry-after-ms': 'soon', 'retry-after': '2' }, NOW);
    assert.deepEqual(h, { shouldRetry: null, delayMs: 2000, delayHint: 'retry-after' });
  });

  it('accepts fractional retry-after-ms and seconds', () => {
    assert.equal(parseRetryHints({ 'retry-after-ms': '12.5' }, NOW).delayMs, 12.5);
    assert.equal(parseRetryHints({ 'retry-after': '1.5' }, NOW).delayMs, 1500);
  });

  it('reports no delay for negative or garbage values', () => {
    assert.deepEqual(parseRetryHints({ 'retry-after-ms': '-5', 'retry-after': 'later' }, NOW), {
      shouldRetry: null,
      delayMs: null,
      delayHint: null,
    });
  });

  it('keeps x-should-retry alongside a delay hint', () => {
    const h = parseRetryHints({ 'x-should-retry': 'true', 'retry-after': '3' }, NOW);
    assert.deepEqual(h, { shouldRetry: true, delayMs: 3000, delayHint: 'retry-after' });
  });
});

describe('Retry-After as an HTTP date', () => {
  it('measures an IMF-fixdate relative to the injected now', () => {
    assert.equal(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', NOW), 30_000);
  });

  it('a date in the past means no wait', () => {
    assert.equal(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', NOW), 0);
  });

  it('parses the obsolete RFC 850 and asctime forms', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW), expected);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW), expected);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW), expected);
  });

  it('reads an RFC 850 two-digit year within 50 years ahead as this century', () => {
    assert.equal(parseHttpDate('Monday, 02-Jun-25 12:00:00 GMT', NOW), Date.UTC(2025, 5, 2, 12, 0, 0));
    assert.equal(parseHttpDate('Monday, 02-Jun-99 12:00:00 GMT', NOW), Date.UTC(1999, 5, 2, 12, 0, 0));
  });

  it('rejects impossible dates and other formats', () => {
    assert.equal(parseHttpDate('Sun, 31 Feb 2025 12:00:00 GMT', NOW), null);
    assert.equal(parseHttpDate('Sun, 01 Jun 2025 25:00:00 GMT', NOW), null);
    assert.equal(parseHttpDate('2025-06-01T12:00:00Z', NOW), null);
    assert.equal(parseHttpDate('Sun, 01 Jun 2025 12:00:00 PST', NOW), null);
    assert.equal(parseRetryAfter('tomorrow', NOW), null);
  });
});
