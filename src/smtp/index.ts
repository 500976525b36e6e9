/** The SMTP room's public face: import from here, not from the files behind it. */
export { TransportRegistry, transportOptions, tlsOptions, timeouts, defaultClientName, PASSWORD_MECHANISMS } from './transports.js';
export type { SendResult, Envelope, SmtpTransport } from './transports.js';
export { classifySmtpFailure, toAppError, parseEnhancedCode, SmtpSendError } from './classify.js';
export type { SmtpFailure, SmtpFailureKind, RecipientRejection, ClassifyContext } from './classify.js';
export { testConnection } from './connection-test.js';
export type { ConnectionTestReport, ConnectionTestStep, ConnectionTestStepName, ConnectionTestProblem, ConnectionTestOptions } from './connection-test.js';
export { newDkimSettings, dkimRecord, generateDkimKey } from './dkim.js';
export type { DkimRecord } from './dkim.js';
