import { useEffect, useRef, useState } from 'react';
import { ApiError, api } from '../../api';
import type { Connection, DkimRecord } from '../../types';
import { CopyField } from '../CopyField';
import { KEPT, text, type Draft, type FieldsProps } from './kinds';

export const dkimDraft = (c?: Connection): Draft => ({ dkimDomain: c?.dkim?.domainName ?? '', dkimSelector: c?.dkim?.keySelector ?? '', dkimKey: '' });

/**
 * `dkim` of the body: all three fields empty is "no signing" (null removes it on edit); a blank
 * key keeps the stored one; a field left out of a half-filled DKIM is reported by the API at it.
 */
export function dkimBody(d: Draft): Record<string, unknown> | null {
  const domainName = text(d.dkimDomain);
  const keySelector = text(d.dkimSelector);
  const privateKey = String(d.dkimKey ?? '');
  if (domainName === '' && keySelector === '' && privateKey.trim() === '') return null;
  return { domainName: domainName || null, keySelector: keySelector || null, ...(privateKey.trim() !== '' ? { privateKey } : {}) };
}

/**
 * DKIM signing: a key of one's own, or one that smtpflow makes (on a saved connection). The key
 * is stored and signs at once, so the TXT record to publish is shown with the advice to publish it first.
 */
export function DkimFields({ draft: d, set, existing, field, id, onError }: FieldsProps) {
  const [record, setRecord] = useState<DkimRecord>();
  const [busy, setBusy] = useState(false);
  const advice = useRef<HTMLParagraphElement>(null);
  const str = (k: string): string => String(d[k] ?? '');
  const kept = record !== undefined || !!existing?.secretsSet.includes('dkim.privateKey');
  // A new record is long: take keyboard and screen-reader users to its advice rather than read it all out.
  useEffect(() => advice.current?.focus(), [record]);

  const generate = async (): Promise<void> => {
    if (!existing) return;
    setBusy(true);
    onError(undefined);
    try {
      const domainName = text(d.dkimDomain);
      const keySelector = text(d.dkimSelector);
      // The stored selector is left out on purpose: each key gets a new DNS name, so mail signed with the old key still verifies.
      const body = {
        ...(domainName ? { domainName } : {}),
        ...(keySelector && keySelector !== (record?.keySelector ?? existing.dkim?.keySelector) ? { keySelector } : {}),
      };
      const answer = await api.connections.dkimKeygen(existing.name, body);
      setRecord(answer);
      set({ dkimDomain: answer.domainName, dkimSelector: answer.keySelector, dkimKey: '' });
    } catch (err) {
      // keygen names its body's fields (domainName); the form knows them as the connection's (dkim.domainName)
      onError(err instanceof ApiError && err.field ? new ApiError(err.status, err.code, err.message, `dkim.${err.field}`, err.problems, err.smtp) : err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <fieldset className="span-2 dkim">
      <legend>DKIM signing</legend>
      <p className="hint">Signs every message, so that receivers can check it comes from your domain. Leave all three empty to send unsigned.</p>
      <div className="grid-2">
        {field('dkimDomain', 'DKIM domain', (p) => <input {...p} value={str('dkimDomain')} onChange={(e) => set({ dkimDomain: e.target.value })} autoCapitalize="off" spellCheck={false} placeholder="example.com" />, 'The domain of your From addresses, which DMARC checks.')}
        {field('dkimSelector', 'DKIM selector', (p) => <input {...p} value={str('dkimSelector')} onChange={(e) => set({ dkimSelector: e.target.value })} autoCapitalize="off" spellCheck={false} placeholder={existing ? 'a new one for each generated key' : 'e.g. mail2026'} />, 'The record is <selector>._domainkey.<domain>.')}
        <div className="span-2">
          {field('dkimKey', 'DKIM private key (PEM)', (p) => (
            <textarea {...p} rows={3} className="code-input" value={str('dkimKey')} onChange={(e) => set({ dkimKey: e.target.value })} spellCheck={false} placeholder={kept ? KEPT : '-----BEGIN PRIVATE KEY-----'} />
          ), kept ? 'Set — leave empty to keep. Stored encrypted; never shown again.' : 'RSA, at least 1024 bits, unencrypted. Stored encrypted; never shown again.')}
        </div>
      </div>
      {existing ? (
        <div className="actions">
          <button type="button" onClick={() => void generate()} disabled={busy} aria-describedby={`${id}-keygen-hint`}>
            {busy ? 'Generating…' : 'Generate key'}
          </button>
          <small id={`${id}-keygen-hint`} className="hint">
            A new 2048-bit key for the domain above (or of the default sender), stored at once.
          </small>
        </div>
      ) : (
        <p className="hint">Or create the connection first, then edit it here to generate a key.</p>
      )}
      {record && (
        <section className="dkim-record" aria-label="DKIM record to publish">
          <p className="notice" ref={advice} tabIndex={-1}>
            The new key signs from now on: mail from this connection fails DKIM until this TXT record is published at your DNS provider. Publish it before you send.
          </p>
          <CopyField id={`${id}-dkim-name`} label="TXT record name" value={record.name} rows={2} />
          <CopyField id={`${id}-dkim-value`} label="TXT record value" value={record.value} rows={4} />
          <CopyField id={`${id}-dkim-zone`} label="Zone file line (strings of at most 255 characters)" value={record.zoneFileLine} rows={4} />
          <p className="hint">
            Check it with <code>dig +short TXT {record.name}</code>. Keep the previous key's record a few days, so that mail it signed still verifies, then remove it.
          </p>
        </section>
      )}
    </fieldset>
  );
}
