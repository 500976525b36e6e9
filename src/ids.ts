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
  return `${prefix}_${time}${randomBase36(10)}`;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
// One getRandomValues call per 4 KiB, not per id: a call costs more than the bytes (5 % of the
// accept path's CPU went to randomFillSync when each id drew its own).
const pool = new Uint8Array(4096);
let used = pool.length;

/** `length` random characters of [0-9a-z]: what ids and Message-IDs are made of. */
export function randomBase36(length: number): string {
  let out = '';
  while (out.length < length) {
    if (used === pool.length) {
      crypto.getRandomValues(pool);
      used = 0;
    }
    const byte = pool[used++];
    // 252 = 7 × 36: bytes above it are skipped, so that every character is equally likely.
    if (byte < 252) out += ALPHABET[byte % 36];
  }
  return out;
}
