/**
 * The assistant's data (schema `assistant`): conversations, each with the context follow-ups need,
 * and their turns. Every statement is scoped by the caller's user id, so another user's conversation
 * is simply not there.
 */
import { migrate, type Sql } from "@todo/platform";
import { embedMigrations } from "@todo/platform/migrations-embed" with { type: "macro" };

/** A task as the conversation remembers it: enough to act on it again and to name it. */
export interface TaskMemo {
  readonly id: string;
  readonly title: string;
}

/** What a follow-up can refer to. */
export interface ConversationContext {
  /** The tasks of the last list ("the second one"). */
  readonly lastListed?: readonly TaskMemo[];
  /** The tasks the last action touched ("make it urgent", "no, Friday"). */
  readonly lastTouched?: readonly TaskMemo[];
  /** An action waiting for the user to pick one of `candidates` (after a clarifying question). */
  readonly pending?: { readonly intent: unknown; readonly candidates: readonly TaskMemo[] };
}

/** One action of a turn as stored. */
export interface StoredAction {
  readonly type: number;
  readonly summary: string;
  readonly taskIds: readonly string[];
}

/** One earlier turn as the language model is shown it: what the user typed and the reply. */
export interface TurnText {
  readonly message: string;
  readonly reply: string;
}

/** Reads and writes a user's conversations. */
export interface AssistantStore {
  readonly sql: Sql;
  /** Starts a conversation with an empty context; returns its id. */
  create(userId: string): Promise<string>;
  /** The context of the user's conversation, or undefined when the user has no such conversation. */
  context(userId: string, id: string): Promise<ConversationContext | undefined>;
  /**
   * The number the next turn of the user's conversation will get (1 for a new one) and its last
   * `limit` turns, oldest first. A turn that failed was never recorded, so a retry gets its number.
   */
  turns(userId: string, id: string, limit: number): Promise<{ next: number; recent: readonly TurnText[] }>;
  /** Appends a turn and replaces the context, in one transaction. */
  record(
    userId: string,
    id: string,
    turn: { message: string; reply: string; actions: readonly StoredAction[] },
    context: ConversationContext,
  ): Promise<void>;
}

/** Applies the assistant's migrations. */
export function migrateAssistant(sql: Sql): Promise<number[]> {
  return migrate(sql, "assistant", embedMigrations("services/assistant/migrations"));
}

/** Creates the store on `sql`. */
export function createAssistantStore(sql: Sql): AssistantStore {
  return {
    sql,
    async create(userId) {
      const id = Bun.randomUUIDv7();
      await sql`
        insert into assistant.conversations (id, user_id, context, create_time, update_time)
        values (${id}, ${userId}, ${sql.json({})}, now(), now())`;
      return id;
    },
    async context(userId, id) {
      const [row] = await sql<{ context: ConversationContext }[]>`
        select context from assistant.conversations where id = ${id} and user_id = ${userId}`;
      return row?.context;
    },
    async turns(userId, id, limit) {
      const rows = await sql<{ seq: number; message: string; reply: string }[]>`
        select t.seq, t.message, t.reply
        from assistant.turns t join assistant.conversations c on c.id = t.conversation_id
        where t.conversation_id = ${id} and c.user_id = ${userId}
        order by t.seq desc
        limit ${Math.max(1, limit)}`;
      const next = (rows[0]?.seq ?? 0) + 1;
      const recent = rows
        .slice(0, Math.max(0, limit))
        .reverse()
        .map((r) => ({ message: r.message, reply: r.reply }));
      return { next, recent };
    },
    async record(userId, id, turn, context) {
      await sql.begin(async (tx) => {
        const [seq] = await tx<{ n: number }[]>`
          select coalesce(max(seq), 0)::int + 1 as n from assistant.turns where conversation_id = ${id}`;
        await tx`
          insert into assistant.turns (conversation_id, seq, message, reply, actions, create_time)
          values (${id}, ${seq?.n ?? 1}, ${turn.message}, ${turn.reply},
            ${tx.json(turn.actions as unknown as Parameters<typeof tx.json>[0])}, now())`;
        await tx`
          update assistant.conversations
          set context = ${tx.json(context as Parameters<typeof tx.json>[0])}, update_time = now()
          where id = ${id} and user_id = ${userId}`;
      });
    },
  };
}
