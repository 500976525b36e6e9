import { ApiConnectionPicker, ConnectionPicker } from './ConnectionPicker';
import { ExpressionInput } from './ExpressionInput';
import { Field } from './Field';
import { AttachmentsEditor } from './AttachmentsEditor';

/** The seed's "SMTP - Send Email" card: its fields in the seed's order, a connection, inline creation of one. */
export function SendEmailCard({ action, path, onChange }: { action: any; path: string; onChange: (a: any) => void }) {
  const native = String(action.type).toLowerCase() === 'sendemail';
  const inputs = action.inputs ?? {};
  const fields: Record<string, any> = (native ? inputs : inputs.body) ?? {};
  const base = native ? `${path}.inputs` : `${path}.inputs.body`;

  const setField = (key: string, value: unknown): void => {
    const next = { ...fields };
    if (value === '' || value === undefined) delete next[key];
    else next[key] = value;
    onChange({ ...action, inputs: native ? next : { ...inputs, body: next } });
  };
  const text = (key: string): string => (typeof fields[key] === 'string' ? fields[key] : fields[key] === undefined ? '' : JSON.stringify(fields[key]));

  return (
    <div className="send-email">
      {native ? (
        <ConnectionPicker path={`${path}.inputs.connection`} value={typeof inputs.connection === 'string' ? inputs.connection : ''} onChange={(c) => setField('connection', c)} />
      ) : (
        <ApiConnectionPicker path={path} reference={inputs.host?.connection?.name} />
      )}
      <ExpressionInput path={`${base}.To`} label="To" value={text('To')} onChange={(v) => setField('To', v)} placeholder="recipient1@domain.com;recipient2@domain.com" hint="Addresses separated by semicolons" />
      <ExpressionInput path={`${base}.CC`} label="CC" value={text('CC')} onChange={(v) => setField('CC', v)} placeholder="recipient1@domain.com;recipient2@domain.com" />
      <ExpressionInput path={`${base}.Subject`} label="Subject" value={text('Subject')} onChange={(v) => setField('Subject', v)} placeholder="Email subject" />
      <ExpressionInput path={`${base}.Body`} label="Body" value={text('Body')} onChange={(v) => setField('Body', v)} multiline placeholder="Email body" />
      <ExpressionInput path={`${base}.From`} label="From" value={text('From')} onChange={(v) => setField('From', v)} placeholder="sender@domain.com (default: the connection's sender)" />
      <div className="grid-2">
        <Field path={`${base}.IsHtml`} label="Is HTML">
          {(p) => (
            <select {...p} value={fields.IsHtml === undefined ? '' : String(fields.IsHtml)} onChange={(e) => setField('IsHtml', e.target.value === '' ? undefined : e.target.value === 'true' ? true : e.target.value === 'false' ? false : e.target.value)}>
              <option value="">{native ? 'No (plain text)' : 'Default'}</option>
              <option value="true">Yes</option>
              <option value="false">No</option>
              {typeof fields.IsHtml === 'string' && <option value={fields.IsHtml}>{fields.IsHtml}</option>}
            </select>
          )}
        </Field>
        <Field path={`${base}.Importance`} label="Importance">
          {(p) => (
            <select {...p} value={text('Importance')} onChange={(e) => setField('Importance', e.target.value)}>
              <option value="">Normal (default)</option>
              <option value="High">High</option>
              <option value="Normal">Normal</option>
              <option value="Low">Low</option>
              {!['', 'High', 'Normal', 'Low'].includes(text('Importance')) && <option value={text('Importance')}>{text('Importance')}</option>}
            </select>
          )}
        </Field>
      </div>
      <ExpressionInput path={`${base}.Bcc`} label="Bcc" value={text('Bcc')} onChange={(v) => setField('Bcc', v)} placeholder="recipient1@domain.com;recipient2@domain.com" />
      <AttachmentsEditor path={`${base}.Attachments`} value={fields.Attachments} onChange={(v) => setField('Attachments', v)} />
    </div>
  );
}
