import { describe, expect, it } from 'vitest';
import type { IdentifierRecord } from '../../src/identity/identity-graph.ts';
import { chooseRecipient } from '../../src/identity/recipient.ts';

const DAY = 86_400_000;
const record = (
  type: 'email' | 'phone',
  value: string,
  patch: Partial<IdentifierRecord> = {},
): IdentifierRecord => ({
  key: `${type}:${value}`,
  type,
  value,
  profileId: 'p1',
  firstSeen: 0,
  lastSeen: 10 * DAY,
  linkedAt: 10 * DAY,
  confirmedAt: null,
  status: 'active',
  ...patch,
});
const base = { profileId: 'p1', at: 20 * DAY, lookback: 100 * DAY };

describe('chooseRecipient', () => {
  it('prefers the email typed into this journey over the profile’s other emails', () => {
    const typed = record('email', 'typed@shop.example', { confirmedAt: 1 });
    const other = record('email', 'newer@shop.example', { confirmedAt: 15 * DAY });
    const choice = chooseRecipient({ ...base, members: [typed, other], asserted: { email: typed } });
    expect(choice.email).toEqual({ value: 'typed@shop.example', reason: 'asserted_in_journey' });
  });

  it('otherwise takes the most recently confirmed contact', () => {
    const older = record('email', 'old@shop.example', { confirmedAt: 2 * DAY, lastSeen: 19 * DAY });
    const newer = record('email', 'new@shop.example', { confirmedAt: 9 * DAY, lastSeen: 9 * DAY });
    const phone = record('phone', '+14155550123');
    const choice = chooseRecipient({ ...base, members: [older, newer, phone], asserted: {} });
    expect(choice.email).toEqual({ value: 'new@shop.example', reason: 'most_recently_confirmed' });
    expect(choice.phone).toEqual({ value: '+14155550123', reason: 'most_recently_seen' });
  });

  it('never chooses a contact that belongs to another profile', () => {
    const someoneElse = record('email', 'alice@family.example', { profileId: 'p2' });
    const own = record('email', 'bob@family.example', { confirmedAt: DAY });
    const choice = chooseRecipient({ ...base, members: [own], asserted: { email: someoneElse } });
    expect(choice.email).toEqual({ refused: 'belongs_to_another_profile' });
  });

  it('refuses a contact whose link expired, and says when none is known', () => {
    const stale = record('email', 'kim@shop.example', { linkedAt: 0, lastSeen: 0 });
    const other = record('phone', '+14155550199', { linkedAt: 0 });
    const choice = chooseRecipient({ ...base, at: 200 * DAY, members: [stale, other], asserted: {} });
    expect(choice.email).toEqual({ refused: 'link_expired' });
    expect(chooseRecipient({ ...base, members: [], asserted: {} }).phone).toEqual({ refused: 'none_known' });
  });
});
