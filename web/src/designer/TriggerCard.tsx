import { useState } from 'react';
import { CopyField } from '../components/CopyField';
import { Field } from './Field';
import { useProblems } from './context';
import { schemaFromSample, seg, title } from './model';
import { RecurrenceEditor } from './RecurrenceEditor';
import { SourceTriggerFields } from './SourceTriggerFields';
import { sourceInfo } from './sourceTriggers';

export function TriggerCard({ name, trigger, onChange, onReplace, callbackUrl }: { name: string; trigger: any; onChange: (t: any) => void; onReplace: () => void; callbackUrl?: string }) {
  const path = `definition.triggers${seg(name)}`;
  const type = String(trigger?.type ?? '').toLowerCase();
  const own = useProblems(path, true).concat(useProblems(`${path}.type`));
  const source = sourceInfo(trigger);
  const label = type === 'request' ? 'When a HTTP request is received' : type === 'recurrence' ? 'Recurrence' : type === 'httppoll' ? 'When an item is created' : source ? source.title : trigger?.type;
  return (
    <section className="card step-card trigger-card" aria-label={`Trigger: ${label}`} data-path={path}>
      <div className="card-head">
        <span className="card-icon" aria-hidden="true">⚑</span>
        <h3>{label}</h3>
        <span className="tag">{title(name)}</span>
        <button type="button" className="small" onClick={onReplace}>
          Change trigger
        </button>
      </div>
      {own.map((p, i) => (
        <p key={i} className="field-error">
          {p.message}
        </p>
      ))}
      {type === 'request' && <RequestFields path={path} trigger={trigger} onChange={onChange} callbackUrl={callbackUrl} />}
      {type === 'recurrence' && <RecurrenceFields path={path} trigger={trigger} onChange={onChange} />}
      {type === 'httppoll' && <HttpPollFields path={path} trigger={trigger} onChange={onChange} />}
      {source && <SourceTriggerFields path={path} trigger={trigger} onChange={onChange} />}
    </section>
  );
}

function RequestFields({ path, trigger, onChange, callbackUrl }: { path: string; trigger: any; onChange: (t: any) => void; callbackUrl?: string }) {
  const inputs = trigger.inputs ?? {};
  const setSchema = (schema: unknown): void => onChange({ ...trigger, inputs: { ...inputs, schema } });
  return (
    <>
      {callbackUrl ? (
        <CopyField id="callback-url" label="HTTP POST URL" value={callbackUrl} />
      ) : (
        <div className="field">
          <label htmlFor="callback-url">HTTP POST URL</label>
          <p id="callback-url" className="muted">
            The URL is generated when the workflow is saved.
          </p>
        </div>
      )}
      <SchemaEditor path={`${path}.inputs.schema`} label="Request Body JSON Schema" schema={inputs.schema} onChange={setSchema} />
    </>
  );
}

/** A JSON Schema as text, plus Logic Apps' "Use sample payload to generate schema". */
function SchemaEditor({ path, label, schema, onChange }: { path: string; label: string; schema: unknown; onChange: (s: unknown) => void }) {
  const [text, setText] = useState(() => JSON.stringify(schema ?? {}, null, 2));
  const [textError, setTextError] = useState<string>();
  const [sampling, setSampling] = useState(false);
  const [sample, setSample] = useState('');
  const [sampleError, setSampleError] = useState<string>();

  const edit = (value: string): void => {
    setText(value);
    try {
      onChange(JSON.parse(value));
      setTextError(undefined);
    } catch (err) {
      setTextError(`Not valid JSON yet: ${(err as Error).message}`);
    }
  };
  const generate = (): void => {
    try {
      const generated = schemaFromSample(JSON.parse(sample));
      setText(JSON.stringify(generated, null, 2));
      onChange(generated);
      setTextError(undefined);
      setSampling(false);
      setSample('');
      setSampleError(undefined);
    } catch (err) {
      setSampleError(`The sample is not valid JSON: ${(err as Error).message}`);
    }
  };

  return (
    <>
      <Field path={path} label={label} after={textError && <small className="field-error">{textError}</small>}>
        {(p) => <textarea {...p} className="code-input" rows={Math.min(14, Math.max(4, text.split("\n").length))} value={text} onChange={(e) => edit(e.target.value)} spellCheck={false} />}
      </Field>
      {!sampling ? (
        <button type="button" className="link-button" onClick={() => setSampling(true)}>
          Use sample payload to generate schema
        </button>
      ) : (
        <div className="sample" role="group" aria-label="Sample payload">
          <label htmlFor={`${path}-sample`}>Enter or paste a sample JSON payload</label>
          <textarea id={`${path}-sample`} className="code-input" rows={6} value={sample} onChange={(e) => setSample(e.target.value)} placeholder='{ "Email": "someone@example.com", "Name": "Ada" }' autoFocus spellCheck={false} />
          {sampleError && <small className="field-error" role="alert">{sampleError}</small>}
          <div className="actions">
            <button type="button" className="primary" onClick={generate}>
              Done
            </button>
            <button type="button" onClick={() => setSampling(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </>
  );
}

function RecurrenceFields({ path, trigger, onChange }: { path: string; trigger: any; onChange: (t: any) => void }) {
  return <RecurrenceEditor path={`${path}.recurrence`} recurrence={trigger.recurrence} onChange={(recurrence) => onChange({ ...trigger, recurrence })} />;
}

function HttpPollFields({ path, trigger, onChange }: { path: string; trigger: any; onChange: (t: any) => void }) {
  const inputs = trigger.inputs ?? {};
  const set = (key: string, value: unknown): void => {
    const next = { ...inputs, [key]: value };
    if (value === '' || value === undefined) delete next[key];
    onChange({ ...trigger, inputs: next });
  };
  const byId = inputs.watermarkField === undefined;
  return (
    <>
      <Field path={`${path}.inputs.uri`} label="URL to poll">
        {(p) => <input {...p} value={inputs.uri ?? ''} onChange={(e) => set('uri', e.target.value)} placeholder="https://api.example.com/leads" />}
      </Field>
      <div className="grid-2">
        <Field path={`${path}.inputs.itemsPath`} label="Path to the items" hint="Dotted path to the array in the answer; empty when the answer is the array">
          {(p) => <input {...p} value={inputs.itemsPath ?? ''} onChange={(e) => set('itemsPath', e.target.value)} placeholder="data.items" />}
        </Field>
        <Field path={`${path}.inputs`} label={byId ? 'Item id field' : 'Watermark field'} exact hint={byId ? 'Remembers every id seen' : 'Remembers the highest value seen'}>
          {(p) => <input {...p} value={(byId ? inputs.idField : inputs.watermarkField) ?? ''} onChange={(e) => set(byId ? 'idField' : 'watermarkField', e.target.value)} />}
        </Field>
      </div>
      <div className="field checkbox">
        <input id={`${path}-existing`} type="checkbox" checked={inputs.fireOnExisting === true} onChange={(e) => set('fireOnExisting', e.target.checked || undefined)} />
        <label htmlFor={`${path}-existing`}>Also run for the items already there on the first poll</label>
      </div>
      <h4>Poll every</h4>
      <RecurrenceEditor path={`${path}.recurrence`} recurrence={trigger.recurrence} onChange={(recurrence) => onChange({ ...trigger, recurrence })} />
      <SchemaEditor path={`${path}.metadata.itemSchema`} label="Item JSON Schema (for dynamic content)" schema={trigger.metadata?.itemSchema} onChange={(itemSchema) => onChange({ ...trigger, metadata: { ...(trigger.metadata ?? {}), itemSchema } })} />
    </>
  );
}
