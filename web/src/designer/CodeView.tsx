/** The definition as JSON, as Logic Apps' code view shows it: `{ definition, parameters }`. */
export function CodeView({ text, onChange, error }: { text: string; onChange: (t: string) => void; error?: string }) {
  return (
    <div className="code-view">
      <label htmlFor="code-view">Workflow definition (JSON)</label>
      <p className="hint" id="code-view-hint">
        Paste a definition exported from Logic Apps’ code view here; its <code>$connections</code> must name an smtpflow connection.
      </p>
      <textarea
        id="code-view"
        className="code"
        wrap="off"
        spellCheck={false}
        value={text}
        onChange={(e) => onChange(e.target.value)}
        rows={Math.min(40, Math.max(16, text.split('\n').length + 1))}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'code-view-hint code-view-error' : 'code-view-hint'}
      />
      {error && (
        <p id="code-view-error" className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** Parses the code view; the error says where, in words. */
export function parseCode(text: string): { value?: { definition: any; parameters?: any }; error?: string } {
  let value: any;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    if (at) {
      const before = text.slice(0, Number(at[1])).split('\n');
      return { error: `The JSON is not valid at line ${before.length}, column ${before[before.length - 1].length + 1}: ${message}` };
    }
    return { error: `The JSON is not valid: ${message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: 'The code must be a JSON object { "definition": { … }, "parameters": { … } }.' };
  // A bare definition (triggers and actions at the top) is accepted too.
  if (value.definition === undefined && (value.triggers !== undefined || value.actions !== undefined)) return { value: { definition: value } };
  if (!value.definition || typeof value.definition !== 'object') return { error: 'The code needs a "definition" object with "triggers" and "actions".' };
  return { value: { definition: value.definition, parameters: value.parameters } };
}
