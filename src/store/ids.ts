import crypto from 'node:crypto';

let lastMs = 0;
let counter = 0;

/**
 * Time-ordered ids (`<prefix>_<12 base36 time+counter><10 random>`), so that sorting by id sorts by
 * creation time and cursor pagination needs no second column.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastMs) counter++;
  else {
    lastMs = now;
    counter = 0;
  }
  const time = now.toString(36).padStart(9, '0') + counter.toString(36).padStart(3, '0');
  const random = crypto.randomBytes(8).toString('base64url').replace(/[-_]/g, '').slice(0, 10).toLowerCase();
  return `${prefix}_${time}${random.padEnd(10, '0')}`;
}
