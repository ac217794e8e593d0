import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/** A live dashboard sign-in, as the admin API's auth hook sees it. */
export interface DashboardSession {
  /** Echoed by the page as `X-Reclaim-CSRF` on every change it asks for. */
  csrfToken: string;
  /** Epoch ms. */
  expiresAt: number;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Dashboard sign-ins, stored by the SHA-256 of the cookie's value: a copy of the database does not let
 * anyone sign in. Sessions end at `expires_at` or on sign-out.
 */
export class DashboardSessions {
  constructor(
    private readonly db: Kysely<Database>,
    /** `RECLAIM_DASHBOARD_SESSION_TTL` (ms). */
    private readonly ttl: number,
  ) {}

  /** Opens a session; the cookie value is returned once and never stored. Drops expired sessions. */
  async open(now: number): Promise<{ cookie: string } & DashboardSession> {
    const cookie = randomBytes(32).toString('base64url');
    const session = { csrfToken: randomBytes(24).toString('base64url'), expiresAt: now + this.ttl };
    await this.db.deleteFrom('dashboard_sessions').where('expires_at', '<=', now).execute();
    await this.db
      .insertInto('dashboard_sessions')
      .values({
        id_hash: sha256(cookie),
        csrf_token: session.csrfToken,
        created_at: now,
        expires_at: session.expiresAt,
      })
      .execute();
    return { cookie, ...session };
  }

  /** The session a cookie names, if it is still live. */
  async find(cookie: string, now: number): Promise<DashboardSession | undefined> {
    const row = await this.db
      .selectFrom('dashboard_sessions')
      .select(['csrf_token', 'expires_at'])
      .where('id_hash', '=', sha256(cookie))
      .executeTakeFirst();
    if (!row || Number(row.expires_at) <= now) return undefined;
    return { csrfToken: row.csrf_token, expiresAt: Number(row.expires_at) };
  }

  /** Signs a session out. */
  async close(cookie: string): Promise<void> {
    await this.db.deleteFrom('dashboard_sessions').where('id_hash', '=', sha256(cookie)).execute();
  }
}
