/** The identity service's data: `identity.users`, `identity.sessions`. */
import { migrate, type Sql } from "@todo/platform";
import { embedMigrations } from "@todo/platform/migrations-embed" with { type: "macro" };

/** A stored account. */
export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  display_name: string;
  time_zone: string;
  /** ISO weekday the user's week starts on, 1 (Monday) to 7 (Sunday). */
  week_start: number;
  create_time: Date;
}

/** The profile fields AuthService.UpdateUser may change; absent ones stay as they are. */
export interface ProfilePatch {
  readonly display_name?: string;
  readonly time_zone?: string;
  readonly week_start?: number;
}

/** Reads and writes accounts and their sessions. */
export interface IdentityStore {
  /**
   * Inserts an account and its first session (one statement); returns undefined when the e-mail
   * address is taken.
   */
  insertUser(
    user: Omit<UserRow, "create_time" | "week_start">,
    session: { id: string; expireTime: Date },
  ): Promise<UserRow | undefined>;
  findByEmail(email: string): Promise<UserRow | undefined>;
  findById(id: string): Promise<UserRow | undefined>;
  /** Changes the profile fields in `patch`; returns the account after, undefined when it is gone. */
  updateProfile(id: string, patch: ProfilePatch): Promise<UserRow | undefined>;
  /** Records a session of `userId` that lasts until `expireTime`. */
  insertSession(session: { id: string; userId: string; expireTime: Date }): Promise<void>;
  /**
   * Whether the account `userId` exists and, when `sessionId` is given, that session of it is live.
   */
  sessionLive(userId: string, sessionId: string | undefined): Promise<boolean>;
  /** Ends session `sessionId` of `userId`, or every session of `userId`; returns how many ended. */
  endSessions(userId: string, sessionId: string | undefined): Promise<number>;
  /** Deletes up to `limit` sessions that have expired; returns how many. */
  sweepSessions(limit: number): Promise<number>;
}

/** Ids are UUIDs; anything else (in a token signed with the right key) matches no row. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Applies the identity migrations. */
export function migrateIdentity(sql: Sql): Promise<number[]> {
  return migrate(sql, "identity", embedMigrations("services/identity/migrations"));
}

/** Creates the store on `sql`. */
export function createIdentityStore(sql: Sql): IdentityStore {
  return {
    async insertUser(u, session) {
      const rows = await sql<UserRow[]>`
        with inserted as (
          insert into identity.users (id, email, password_hash, display_name, time_zone)
          values (${u.id}, ${u.email}, ${u.password_hash}, ${u.display_name}, ${u.time_zone})
          on conflict (email) do nothing
          returning *
        ), session as (
          insert into identity.sessions (id, user_id, expire_time)
          select ${session.id}, id, ${session.expireTime} from inserted
        )
        select * from inserted`;
      return rows[0];
    },
    async findByEmail(email) {
      const rows = await sql<UserRow[]>`select * from identity.users where email = ${email}`;
      return rows[0];
    },
    async findById(id) {
      const rows = await sql<UserRow[]>`select * from identity.users where id = ${id}`;
      return rows[0];
    },
    async updateProfile(id, patch) {
      if (!UUID.test(id)) return undefined;
      const rows = await sql<UserRow[]>`
        update identity.users set
          display_name = coalesce(${patch.display_name ?? null}, display_name),
          time_zone = coalesce(${patch.time_zone ?? null}, time_zone),
          week_start = coalesce(${patch.week_start ?? null}::smallint, week_start)
        where id = ${id}
        returning *`;
      return rows[0];
    },
    async insertSession(s) {
      await sql`
        insert into identity.sessions (id, user_id, expire_time)
        values (${s.id}, ${s.userId}, ${s.expireTime})`;
    },
    async sessionLive(userId, sessionId) {
      if (!UUID.test(userId) || (sessionId !== undefined && !UUID.test(sessionId))) return false;
      const rows = sessionId
        ? await sql`
            select 1 from identity.sessions
            where id = ${sessionId} and user_id = ${userId} and expire_time > now()`
        : await sql`select 1 from identity.users where id = ${userId}`;
      return rows.length > 0;
    },
    async endSessions(userId, sessionId) {
      if (!UUID.test(userId) || (sessionId !== undefined && !UUID.test(sessionId))) return 0;
      const rows = sessionId
        ? await sql`delete from identity.sessions where id = ${sessionId} and user_id = ${userId} returning 1`
        : await sql`delete from identity.sessions where user_id = ${userId} returning 1`;
      return rows.length;
    },
    async sweepSessions(limit) {
      const rows = await sql`
        delete from identity.sessions where id in (
          select id from identity.sessions where expire_time <= now() limit ${limit}
        ) returning 1`;
      return rows.length;
    },
  };
}
