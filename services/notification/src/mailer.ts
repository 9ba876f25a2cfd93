/**
 * E-mail over SMTP with `nodemailer`. The server is named by one URL (`SMTP_URL`, e.g.
 * `smtp://user:pass@mail.example.com:587` — STARTTLS when the server offers it — or `smtps://…:465`
 * for implicit TLS) and messages come from `SMTP_FROM`. Without an SMTP URL there is no mailer and
 * e-mail channels cannot be created.
 */
import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";

/** One plain-text message. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends e-mail. */
export interface Mailer {
  /** Resolves once the SMTP server accepted the message for `to`; rejects otherwise. */
  send(message: MailMessage): Promise<void>;
  /** Closes pooled connections. */
  close(): void;
  /** The SMTP server's host and port (the `server.*` attributes of the `smtp send` span), if known. */
  readonly server?: { readonly address: string; readonly port: number };
}

/** How to reach the SMTP server. */
export interface SmtpOptions {
  /** `smtp://[user:pass@]host[:port]` or `smtps://…`. */
  readonly url: string;
  /** The From address, such as `Todo <todo@example.com>`. */
  readonly from: string;
  /** How long connecting, the greeting and each socket read may take; default 10 s. */
  readonly timeoutMs?: number;
}

/** Creates a mailer on the SMTP server at `options.url`. */
export function createSmtpMailer(options: SmtpOptions): Mailer {
  const url = new URL(options.url);
  if (url.protocol !== "smtp:" && url.protocol !== "smtps:") {
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, got ${url.protocol}//`);
  }
  const timeout = options.timeoutMs ?? 10_000;
  const smtp: SMTPTransport.Options = {
    url: options.url,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  };
  const transport = nodemailer.createTransport(smtp);
  // nodemailer's defaults: 465 for implicit TLS, else 587.
  const port = url.port ? Number(url.port) : url.protocol === "smtps:" ? 465 : 587;
  return {
    server: { address: url.hostname, port },
    async send(message) {
      const info = await transport.sendMail({
        from: options.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        headers: { ...message.headers },
      });
      const accepted = ((info.accepted ?? []) as (string | { address: string })[]).map((a) =>
        (typeof a === "string" ? a : a.address).toLowerCase(),
      );
      if (!accepted.includes(message.to.toLowerCase())) {
        throw new Error(`the SMTP server did not accept ${message.to}: ${info.response}`);
      }
    },
    close() {
      transport.close();
    },
  };
}
