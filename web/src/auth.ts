/*
 * The API key lives in sessionStorage: it survives reloads of the tab but not the browser
 * session, and never reaches a URL the server logs or the history keeps.
 */
const STORAGE = 'smtpflow.key';
type Listener = (reason?: string) => void;
const listeners = new Set<Listener>();

export function getKey(): string | null {
  return sessionStorage.getItem(STORAGE);
}

export function setKey(key: string): void {
  sessionStorage.setItem(STORAGE, key);
  listeners.forEach((l) => l());
}

export function logout(reason?: string): void {
  sessionStorage.removeItem(STORAGE);
  listeners.forEach((l) => l(reason));
}

export function onAuthChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** A 401 with the stored key means it was revoked: back to the login page, saying why. */
export function signalUnauthorized(message: string): void {
  logout(message);
}

/**
 * `#key=…` (the URL `smtpflow serve` prints on first start) logs in at once; the fragment is
 * removed straight away so the key does not linger in the address bar or the history.
 */
export function takeKeyFromUrl(): string | null {
  const match = /(?:^#|&)key=([^&]+)/.exec(window.location.hash);
  if (!match) return null;
  const key = decodeURIComponent(match[1]);
  history.replaceState(history.state, '', window.location.pathname + window.location.search);
  return key;
}
