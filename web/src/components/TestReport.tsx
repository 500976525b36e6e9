import type { ConnectionTestReport } from '../types';

const STEP_LABEL: Record<string, string> = {
  dns: 'Resolve the server name',
  tcp: 'Open a TCP connection',
  banner: 'Server greeting',
  ehlo: 'EHLO',
  starttls: 'STARTTLS',
  certificate: 'Certificate',
  'auth-mechanisms': 'Authentication methods offered',
  'oauth2-token': 'Get an OAuth2 access token',
  auth: 'Log in (AUTH)',
  'mail-from': 'MAIL FROM accepted',
  login: 'Log in (OAuth token)',
  objects: 'List what triggers can watch',
  connect: 'Connect to the database',
  server: 'Server version',
  tables: 'List the tables',
  capture: 'Permission to capture new rows',
};

/** The connection test, step by step, as the server reported it. */
export function TestReport({ report, name }: { report: ConnectionTestReport; name: string }) {
  return (
    <section className={`test-report ${report.ok ? 'ok' : 'bad'}`} aria-label={`Test result of ${name}`} aria-live="polite">
      <p className="test-verdict">{report.ok ? 'The connection works.' : 'The connection test failed.'}</p>
      <ol className="steps">
        {report.steps.map((s, i) => (
          <li key={i} className={s.ok ? 'ok' : 'bad'}>
            <span className="step-mark" aria-label={s.ok ? 'passed' : 'failed'}>
              {s.ok ? '✓' : '✗'}
            </span>
            <span className="step-name">{STEP_LABEL[s.step] ?? s.step}</span>
            <span className="step-detail">{s.detail}</span>
            <span className="step-time">{Math.round(s.durationMs)} ms</span>
          </li>
        ))}
      </ol>
      {report.problem && (
        <div className="error-box" role="alert">
          <strong>{report.problem.message}</strong>
          {report.problem.fix && (
            <p>
              <span className="problem-label">How to fix it: </span>
              {report.problem.fix}
            </p>
          )}
          <p className="problem-code">
            Problem code: <code>{report.problem.code}</code>
          </p>
        </div>
      )}
    </section>
  );
}
