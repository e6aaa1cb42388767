/**
 * UIDs for the objects we create (PS3.5 §9): under a configured organisation root, or under 2.25
 * (a UUID as one decimal number, PS3.5 B.2) when none is set. Never longer than 64 characters —
 * dcmjs would silently truncate a longer one on write, so we refuse to make it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { InspectorError } from '../../shared/errors';

export const MAX_UID = 64;

function decimal(hex: string): string {
  return BigInt(`0x${hex}`).toString(10);
}

export function checkUid(uid: string): string {
  if (uid.length > MAX_UID || !/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid)) {
    throw new InspectorError('DICOM_UID_INVALID', `"${uid}" is not a valid UID (digits and dots, no leading zeros, at most ${MAX_UID} characters).`, { uid, length: uid.length });
  }
  return uid;
}

export function newUid(root: string): string {
  if (root === '2.25') return checkUid(`2.25.${decimal(randomUUID().replace(/-/g, ''))}`);
  // Root + time + randomness, the random part trimmed to fit: unique enough for one organisation's node.
  const time = Date.now().toString(10);
  const room = MAX_UID - root.length - time.length - 2;
  if (room < 6) throw new InspectorError('DICOM_UID_INVALID', `The UID root "${root}" is too long to make unique UIDs under ${MAX_UID} characters.`, { root });
  const rand = decimal(randomBytes(16).toString('hex')).slice(0, Math.min(room, 20)).replace(/^0+/, '') || '1';
  return checkUid(`${root}.${time}.${rand}`);
}

/** A stable UID for a thing identified by a string (e.g. a pack by its manifest hash): same input, same UID. */
export function derivedUid(root: string, key: string): string {
  const hex = createHash('sha256').update(key).digest('hex').slice(0, 32);
  if (root === '2.25') return checkUid(`2.25.${decimal(hex)}`);
  const room = MAX_UID - root.length - 1;
  return checkUid(`${root}.${decimal(hex).slice(0, room).replace(/^0+/, '') || '1'}`);
}
