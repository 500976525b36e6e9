import { ExpressionInput } from './ExpressionInput';
import { Field } from './Field';

interface Attachment {
  FileName?: string;
  ContentType?: string;
  ContentData?: string;
  ContentTransferEncoding?: string;
  ContentId?: string;
}

/**
 * Attachments as the seed lists them (ContentData, ContentType, ContentTransferEncoding,
 * FileName, ContentId), one group per file; or one expression that yields the whole array.
 */
export function AttachmentsEditor({ path, value, onChange }: { path: string; value: unknown; onChange: (v: unknown) => void }) {
  if (typeof value === 'string') {
    return (
      <fieldset className="attachments-editor">
        <legend>Attachments</legend>
        <ExpressionInput path={path} label="Attachments (an expression yielding the array)" value={value} onChange={(v) => onChange(v)} placeholder="@triggerBody()?['attachments']" />
        <button type="button" className="link-button" onClick={() => onChange(undefined)}>
          List the files one by one instead
        </button>
      </fieldset>
    );
  }
  const list: Attachment[] = Array.isArray(value) ? value : [];
  const set = (i: number, key: keyof Attachment, v: string): void => {
    const next = list.map((a, j) => (j === i ? { ...a, [key]: v } : a));
    if (v === '') delete next[i][key];
    onChange(next);
  };
  const remove = (i: number): void => {
    const next = list.filter((_, j) => j !== i);
    onChange(next.length ? next : undefined);
  };
  return (
    <fieldset className="attachments-editor">
      <legend>Attachments</legend>
      {list.map((a, i) => (
        <div key={i} className="attachment-item" role="group" aria-label={`Attachment ${i + 1}`}>
          <div className="grid-2">
            <ExpressionInput path={`${path}[${i}].FileName`} label="File name" value={a.FileName ?? ''} onChange={(v) => set(i, 'FileName', v)} />
            <ExpressionInput path={`${path}[${i}].ContentType`} label="Content type" value={a.ContentType ?? ''} onChange={(v) => set(i, 'ContentType', v)} placeholder="application/pdf" />
          </div>
          <ExpressionInput path={`${path}[${i}].ContentData`} label="Content data" value={a.ContentData ?? ''} onChange={(v) => set(i, 'ContentData', v)} multiline hint="Base64 for files; plain text with encoding “none”" />
          <div className="grid-2">
            <Field path={`${path}[${i}].ContentTransferEncoding`} label="Transfer encoding">
              {(p) => (
                <select {...p} value={a.ContentTransferEncoding ?? ''} onChange={(e) => set(i, 'ContentTransferEncoding', e.target.value)}>
                  <option value="">base64 (default)</option>
                  <option value="base64">base64</option>
                  <option value="none">none</option>
                </select>
              )}
            </Field>
            <ExpressionInput path={`${path}[${i}].ContentId`} label="Content ID (inline image)" value={a.ContentId ?? ''} onChange={(v) => set(i, 'ContentId', v)} />
          </div>
          <button type="button" className="link-button" onClick={() => remove(i)}>
            Remove attachment {i + 1}
          </button>
        </div>
      ))}
      <div className="actions">
        <button type="button" onClick={() => onChange([...list, { ContentTransferEncoding: 'base64' }])}>
          + Add attachment
        </button>
        <button type="button" className="link-button" onClick={() => onChange("@triggerBody()?['attachments']")}>
          Use an expression instead
        </button>
      </div>
    </fieldset>
  );
}
