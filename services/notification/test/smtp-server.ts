/**
 * Test support: a real SMTP server (`smtp-server`, on 127.0.0.1, a free port, no TLS) that takes
 * AUTH PLAIN/LOGIN as `todo`/`s3cret`, refuses the recipients in `refused` with 550, and records
 * every message it accepts — for the delivery worker's e-mail tests.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** One message the server accepted. */
export interface CapturedMail {
  /** The user it authenticated as. */
  readonly user: string | undefined;
  readonly from: string;
  readonly to: string[];
  /** The message as sent: headers, a blank line, the body. */
  readonly raw: string;
}

/** A running SMTP server. */
export interface SmtpReceiver {
  readonly port: number;
  /** `smtp://todo:s3cret@127.0.0.1:<port>`. */
  readonly url: string;
  /** The accepted messages so far. */
  readonly mails: CapturedMail[];
  /** Recipients answered with 550 "mailbox unavailable". */
  readonly refused: Set<string>;
  close(): Promise<void>;
}

/** Starts the server. */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: CapturedMail[] = [];
  const refused = new Set<string>();
  const smtp = new SMTPServer({
    secure: false,
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, callback) {
      if (auth.username === "todo" && auth.password === "s3cret") callback(null, { user: auth.username });
      else callback(new Error("invalid credentials"));
    },
    onRcptTo(address, _session, callback) {
      if (refused.has(address.address)) {
        const err = new Error("mailbox unavailable") as Error & { responseCode: number };
        err.responseCode = 550;
        callback(err);
      } else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          user: session.user as string | undefined,
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://todo:s3cret@127.0.0.1:${port}`,
    mails,
    refused,
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}
