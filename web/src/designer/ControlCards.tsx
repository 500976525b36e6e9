import { useContext } from 'react';
import { JsonBlock } from '../components/JsonBlock';
import { ActionList } from './ActionList';
import { DefinitionContext, LoopTokensContext } from './context';
import { ExpressionInput } from './ExpressionInput';
import { Field } from './Field';
import { title } from './model';
import { itemTokens } from './tokens';

type Props = { action: any; path: string; onChange: (a: any) => void };

/** Text, or JSON when it looks like an object or array and parses: Compose and Response take either. */
const fromText = (text: string): unknown => {
  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      /* still being typed: keep the text */
    }
  }
  return text;
};
const toText = (value: unknown): string => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** A lone `@{x}` is a string; `@x` keeps x's type (an array to loop over, a number to compare). */
const unwrap = (v: string): string => {
  const m = /^@\{([\s\S]*)\}$/.exec(v.trim());
  return m && !m[1].includes('@{') ? `@${m[1]}` : v;
};

export function ComposeBody({ action, path, onChange }: Props) {
  return <ExpressionInput path={`${path}.inputs`} label="Inputs" value={toText(action.inputs)} onChange={(v) => onChange({ ...action, inputs: fromText(v) })} multiline placeholder="Text, JSON and dynamic content" />;
}

export function ResponseBody({ action, path, onChange }: Props) {
  const inputs = action.inputs ?? {};
  const set = (key: string, value: unknown): void => onChange({ ...action, inputs: { ...inputs, [key]: value } });
  return (
    <>
      <Field path={`${path}.inputs.statusCode`} label="Status code">
        {(p) => <input {...p} inputMode="numeric" value={String(inputs.statusCode ?? '')} onChange={(e) => set('statusCode', /^\d+$/.test(e.target.value) ? Number(e.target.value) : e.target.value)} />}
      </Field>
      <ExpressionInput path={`${path}.inputs.body`} label="Body" value={toText(inputs.body)} onChange={(v) => set('body', fromText(v))} multiline />
    </>
  );
}

const OPERATORS: Array<{ id: string; label: string; op: string; not?: boolean }> = [
  { id: 'equals', label: 'is equal to', op: 'equals' },
  { id: 'notequals', label: 'is not equal to', op: 'equals', not: true },
  { id: 'contains', label: 'contains', op: 'contains' },
  { id: 'notcontains', label: 'does not contain', op: 'contains', not: true },
  { id: 'greater', label: 'is greater than', op: 'greater' },
  { id: 'greaterOrEquals', label: 'is greater than or equal to', op: 'greaterOrEquals' },
  { id: 'less', label: 'is less than', op: 'less' },
  { id: 'lessOrEquals', label: 'is less than or equal to', op: 'lessOrEquals' },
  { id: 'startsWith', label: 'starts with', op: 'startsWith' },
  { id: 'endsWith', label: 'ends with', op: 'endsWith' },
];

interface Row {
  operator: string;
  left: string;
  right: string;
}

/** The designer's condition object `{ and|or: [ { op: [a, b] } | { not: { op: [a, b] } } ] }`, or null when it is something richer. */
function rowsOf(expression: unknown): { join: 'and' | 'or'; rows: Row[] } | null {
  if (!expression || typeof expression !== 'object' || Array.isArray(expression)) return null;
  const entries = Object.entries(expression);
  if (entries.length !== 1 || !['and', 'or'].includes(entries[0][0]) || !Array.isArray(entries[0][1])) return null;
  const rows: Row[] = [];
  for (const cond of entries[0][1] as unknown[]) {
    let c: any = cond;
    let not = false;
    if (c && typeof c === 'object' && 'not' in c && Object.keys(c).length === 1) {
      c = c.not;
      not = true;
    }
    if (!c || typeof c !== 'object' || Object.keys(c).length !== 1) return null;
    const [op, args] = Object.entries(c)[0] as [string, unknown];
    const operator = OPERATORS.find((o) => o.op === op && !!o.not === not);
    if (!operator || !Array.isArray(args) || args.length !== 2 || !args.every((a) => typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean')) return null;
    rows.push({ operator: operator.id, left: String(args[0]), right: String(args[1]) });
  }
  return { join: entries[0][0] as 'and' | 'or', rows };
}

function expressionOf(join: 'and' | 'or', rows: Row[]): unknown {
  return {
    [join]: rows.map((r) => {
      const o = OPERATORS.find((x) => x.id === r.operator) ?? OPERATORS[0];
      const cond = { [o.op]: [unwrap(r.left), unwrap(r.right)] };
      return o.not ? { not: cond } : cond;
    }),
  };
}

export function IfBody({ name, action, path, onChange }: Props & { name: string }) {
  const parsed = rowsOf(action.expression);
  const setRows = (join: 'and' | 'or', rows: Row[]): void => onChange({ ...action, expression: expressionOf(join, rows) });
  return (
    <>
      {typeof action.expression === 'string' ? (
        <ExpressionInput path={`${path}.expression`} label="Condition (an expression that is true or false)" value={action.expression} onChange={(v) => onChange({ ...action, expression: unwrap(v) })} />
      ) : parsed ? (
        <fieldset className="condition">
          <legend>Condition</legend>
          {parsed.rows.length > 1 && (
            <Field path={`${path}.expression`} label="Combine rows with" exact>
              {(p) => (
                <select {...p} value={parsed.join} onChange={(e) => setRows(e.target.value as 'and' | 'or', parsed.rows)}>
                  <option value="and">And: all must be true</option>
                  <option value="or">Or: any may be true</option>
                </select>
              )}
            </Field>
          )}
          {parsed.rows.map((r, i) => {
            const o = OPERATORS.find((x) => x.id === r.operator)!;
            const at = `${path}.expression.${parsed.join}[${i}]${o.not ? '.not' : ''}.${o.op}`;
            const set = (patch: Partial<Row>): void => setRows(parsed.join, parsed.rows.map((x, j) => (j === i ? { ...x, ...patch } : x)));
            return (
              <div key={i} className="condition-row" role="group" aria-label={`Condition row ${i + 1}`}>
                <ExpressionInput path={`${at}[0]`} label="Value" value={r.left} onChange={(v) => set({ left: v })} placeholder="Choose a value" />
                <Field path={`${at}`} label="Operator" exact>
                  {(p) => (
                    <select {...p} value={r.operator} onChange={(e) => set({ operator: e.target.value })}>
                      {OPERATORS.map((x) => (
                        <option key={x.id} value={x.id}>
                          {x.label}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <ExpressionInput path={`${at}[1]`} label="Compared with" value={r.right} onChange={(v) => set({ right: v })} placeholder="Choose a value" />
                {parsed.rows.length > 1 && (
                  <button type="button" className="link-button" onClick={() => setRows(parsed.join, parsed.rows.filter((_, j) => j !== i))}>
                    Remove row {i + 1}
                  </button>
                )}
              </div>
            );
          })}
          <button type="button" onClick={() => setRows(parsed.join, [...parsed.rows, { operator: 'equals', left: '', right: '' }])}>
            + Add row
          </button>
        </fieldset>
      ) : (
        <>
          <p className="muted">This condition is richer than the row editor shows; edit it in the code view.</p>
          <JsonBlock label="Condition" value={action.expression} />
        </>
      )}
      <div className="branches">
        <div className="branch branch-yes">
          <h4>If yes</h4>
          <ActionList where={`If yes of ${title(name)}`} actions={action.actions ?? {}} path={`${path}.actions`} onChange={(actions) => onChange({ ...action, actions })} />
        </div>
        <div className="branch branch-no">
          <h4>If no</h4>
          <ActionList where={`If no of ${title(name)}`} actions={action.else?.actions ?? {}} path={`${path}.else.actions`} onChange={(actions) => onChange({ ...action, else: { ...(action.else ?? {}), actions } })} />
        </div>
      </div>
    </>
  );
}

export function ForeachBody({ name, action, path, onChange }: Props & { name: string }) {
  const definition = useContext(DefinitionContext);
  const parent = useContext(LoopTokensContext);
  const trigger = Object.values(definition.triggers ?? {})[0];
  const foreach = typeof action.foreach === 'string' ? action.foreach : JSON.stringify(action.foreach ?? '');
  return (
    <>
      <ExpressionInput path={`${path}.foreach`} label="Select an output from previous steps" value={foreach} onChange={(v) => onChange({ ...action, foreach: unwrap(v) })} placeholder="@triggerBody()?['items']" hint="An array: the steps below run once per item." />
      <LoopTokensContext.Provider value={[...itemTokens(foreach, trigger, name), ...parent]}>
        <div className="branch">
          <ActionList where={`loop ${title(name)}`} actions={action.actions ?? {}} path={`${path}.actions`} onChange={(actions) => onChange({ ...action, actions })} />
        </div>
      </LoopTokensContext.Provider>
    </>
  );
}
