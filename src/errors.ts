/** The SMTP server's own words, kept on errors that came from an SMTP exchange. */
export interface SmtpReply {
  code?: number;
  enhancedCode?: string;
  response?: string;
}

export interface AppErrorDetails {
  field?: string;
  smtp?: SmtpReply;
  headers?: Record<string, string>;
}

/**
 * The one error type that crosses room boundaries. The API turns it into
 * `{ "error": { code, message, field?, smtp? } }` with `status` as the HTTP status.
 * `message` must say what is wrong and how to fix it, and must never contain a secret.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;
  readonly smtp?: SmtpReply;
  readonly headers?: Record<string, string>;

  constructor(status: number, code: string, message: string, details: AppErrorDetails = {}) {
    super(message);
    this.name = 'AppError';
    this.status = status;
    this.code = code;
    this.field = details.field;
    this.smtp = details.smtp;
    this.headers = details.headers;
  }

  toBody(): { error: { code: string; message: string; field?: string; smtp?: SmtpReply } } {
    const error: { code: string; message: string; field?: string; smtp?: SmtpReply } = {
      code: this.code,
      message: this.message,
    };
    if (this.field !== undefined) error.field = this.field;
    if (this.smtp !== undefined) error.smtp = this.smtp;
    return { error };
  }
}

export const notFound = (what: string, name: string, hint: string): AppError =>
  new AppError(404, 'NotFound', `No ${what} named '${name}'. ${hint}`);

export const badRequest = (code: string, message: string, field?: string): AppError =>
  new AppError(400, code, message, { field });
