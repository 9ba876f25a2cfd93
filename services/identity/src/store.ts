/** The identity service's data: `identity.users`. */
import { migrate, type Sql } from "@todo/platform";
import { embedMigrations } from "@todo/platform/migrations-embed" with { type: "macro" };

/** A stored account. */
export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  display_name: string;
  time_zone: string;
  create_time: Date;
}

/** Reads and writes accounts. */
export interface IdentityStore {
  /** Inserts an account; returns undefined when the e-mail address is taken. */
  insertUser(user: Omit<UserRow, "create_time">): Promise<UserRow | undefined>;
  findByEmail(email: string): Promise<UserRow | undefined>;
  findById(id: string): Promise<UserRow | undefined>;
}

/** Applies the identity migrations. */
export function migrateIdentity(sql: Sql): Promise<number[]> {
  return migrate(sql, "identity", embedMigrations("services/identity/migrations"));
}

/** Creates the store on `sql`. */
export function createIdentityStore(sql: Sql): IdentityStore {
  return {
    async insertUser(u) {
      const rows = await sql<UserRow[]>`
        insert into identity.users (id, email, password_hash, display_name, time_zone)
        values (${u.id}, ${u.email}, ${u.password_hash}, ${u.display_name}, ${u.time_zone})
        on conflict (email) do nothing
        returning *`;
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
  };
}
