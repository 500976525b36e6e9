import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDuration } from '../../src/workflows/definition.js';
import { retryPlan } from '../../src/workflows/retry.js';
import { validateJsonSchema } from '../../src/workflows/triggers/json-schema.js';
import { nextOccurrence } from '../../src/workflows/triggers/recurrence.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('recurrence schedules', () => {
  test('Second/Minute/Hour step from the start time (or the anchor when there is none)', () => {
    const rec = { frequency: 'Minute', interval: 15, startTime: '2024-03-01T10:05:00Z' };
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-03-01T09:00:00Z'))), '2024-03-01T10:05:00.000Z');
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-03-01T10:05:00Z'))), '2024-03-01T10:20:00.000Z');
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-03-01T11:59:59Z'))), '2024-03-01T12:05:00.000Z');
    const anchored = { frequency: 'Second', interval: 2 };
    assert.equal(nextOccurrence(anchored, 10_000, 9_999), 10_000);
    assert.equal(nextOccurrence(anchored, 10_000, 10_000), 12_000);
  });

  test('Day with schedule hours and minutes in a Windows time zone, across a DST change', () => {
    const rec = { frequency: 'Day', interval: 1, startTime: '2024-03-29T00:00:00', timeZone: 'W. Europe Standard Time', schedule: { hours: [9], minutes: [0, 30] } };
    // 29 March 2024 is CET (UTC+1); from 31 March Berlin is on CEST (UTC+2).
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-03-29T07:00:00Z'))), '2024-03-29T08:00:00.000Z');
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-03-29T08:00:00Z'))), '2024-03-29T08:30:00.000Z');
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-03-30T08:30:00Z'))), '2024-03-31T07:00:00.000Z');
  });

  test('Week with weekDays, every second week', () => {
    const rec = { frequency: 'Week', interval: 2, startTime: '2024-01-01T00:00:00Z', schedule: { weekDays: ['Monday', 'Friday'], hours: [8], minutes: [0] } };
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-01-01T00:00:00Z'))), '2024-01-01T08:00:00.000Z'); // Monday
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-01-01T08:00:00Z'))), '2024-01-05T08:00:00.000Z'); // Friday
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-01-05T08:00:00Z'))), '2024-01-15T08:00:00.000Z'); // two weeks on
  });

  test('Month keeps the day of the start and skips months without it; endTime ends the schedule', () => {
    const rec = { frequency: 'Month', interval: 1, startTime: '2024-01-31T06:00:00Z' };
    assert.equal(iso(nextOccurrence(rec, 0, at('2024-01-31T06:00:00Z'))), '2024-03-31T06:00:00.000Z');
    assert.equal(nextOccurrence({ ...rec, endTime: '2024-02-15T00:00:00Z' }, 0, at('2024-01-31T06:00:00Z')), undefined);
  });
});

describe('retry policies', () => {
  test("absent: Logic Apps' default, 4 exponential retries between 5 and 45 seconds", () => {
    const plan = retryPlan(undefined, () => 0.5);
    assert.equal(plan.count, 4);
    for (let n = 1; n <= 4; n++) {
      const d = plan.delay(n);
      assert.ok(d >= 5000 && d <= 45_000, `retry ${n}: ${d}`);
    }
    assert.ok(plan.delay(4) >= plan.delay(1));
  });

  test('none, fixed and exponential with ISO 8601 intervals', () => {
    assert.equal(retryPlan({ type: 'none' }).count, 0);
    const fixed = retryPlan({ type: 'fixed', count: 3, interval: 'PT2S' });
    assert.deepEqual([fixed.count, fixed.delay(1), fixed.delay(3)], [3, 2000, 2000]);
    const exp = retryPlan({ type: 'exponential', count: 5, interval: 'PT1S', minimumInterval: 'PT1S', maximumInterval: 'PT4S' }, () => 1);
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => exp.delay(n)), [1000, 2000, 4000, 4000, 4000]);
    assert.equal(parseDuration('P1DT1H'), 90_000_000);
    assert.equal(parseDuration('PT7.5S'), 7500);
    assert.equal(parseDuration('ten seconds'), undefined);
  });
});

describe('Request trigger schema validation', () => {
  test('reports every mismatch with its path', () => {
    const schema = {
      type: 'object',
      properties: { email: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, level: { enum: ['low', 'high'] } },
      required: ['email', 'name'],
    };
    assert.deepEqual(validateJsonSchema(schema, { email: 'a@b.c', name: 'x', tags: ['a'], level: 'low' }), []);
    const problems = validateJsonSchema(schema, { email: 1, tags: ['a', 2], level: 'mid' });
    assert.deepEqual(problems.map((p) => p.path).sort(), ['body.email', 'body.level', 'body.name', 'body.tags[1]']);
    assert.equal(validateJsonSchema(schema, [1])[0].path, 'body');
  });
});
