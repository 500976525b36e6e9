import { useEffect, useRef, useState } from 'react';
import { getKey, logout, onAuthChange } from './auth';
import { Link, match, navigate, usePath } from './router';
import { LoginPage } from './pages/LoginPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { WorkflowsPage } from './pages/WorkflowsPage';
import { DesignerPage } from './designer/DesignerPage';
import { RunsPage } from './pages/RunsPage';
import { RunPage } from './pages/RunPage';
import { MessagesPage } from './pages/MessagesPage';
import { InboxPage } from './pages/InboxPage';

const NAV = [
  { to: '/workflows', label: 'Workflows' },
  { to: '/connections', label: 'Connections' },
  { to: '/messages', label: 'Messages' },
  { to: '/inbox', label: 'Inbox' },
];

export function App() {
  const [key, setKeyState] = useState(getKey());
  const [reason, setReason] = useState<string>();
  const path = usePath();

  useEffect(
    () =>
      onAuthChange((why) => {
        setKeyState(getKey());
        setReason(why);
      }),
    [],
  );

  useEffect(() => {
    if (key && path === '/') navigate('/workflows', true);
  }, [key, path]);

  // A new section gets its title, and keyboard and screen-reader users start at its content.
  const section = NAV.find((n) => path.startsWith(n.to))?.label;
  const previous = useRef(section);
  useEffect(() => {
    document.title = section ? `${section} · smtpflow` : 'smtpflow';
    if (previous.current !== section) document.getElementById('main')?.focus({ preventScroll: true });
    previous.current = section;
  }, [section]);

  if (!key) return <LoginPage reason={reason} />;

  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link to="/workflows" className="brand" aria-label="smtpflow home">
          smtpflow
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.to}>
                <Link to={item.to} aria-current={path.startsWith(item.to) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="link-button" onClick={() => logout()}>
          Log out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} />
      </main>
    </div>
  );
}

function Page({ path }: { path: string }) {
  let m: Record<string, string> | null;
  if (path.startsWith('/connections')) return <ConnectionsPage />;
  if (match('/workflows', path)) return <WorkflowsPage />;
  if (match('/workflows/new', path)) return <DesignerPage key="new" />;
  if ((m = match('/workflows/:name/runs', path))) return <RunsPage workflow={m.name} />;
  if ((m = match('/workflows/:name/runs/:id', path))) return <RunPage workflow={m.name} id={m.id} />;
  if ((m = match('/workflows/:name', path))) return <DesignerPage key={m.name} name={m.name} />;
  if ((m = match('/messages/:id', path))) return <MessagesPage selected={m.id} />;
  if (match('/messages', path)) return <MessagesPage />;
  if ((m = match('/inbox/:id', path))) return <InboxPage selected={m.id} />;
  if (match('/inbox', path)) return <InboxPage />;
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link to="/workflows">Go to the workflows</Link>.
      </p>
    </section>
  );
}
