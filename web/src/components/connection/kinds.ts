import type { ReactNode } from 'react';
import type { Connection, ConnectionType } from '../../types';

/** The form's values: every input is text or a checkbox. */
export type Draft = Record<string, string | boolean>;

/** Renders one labelled control with its hint and the API's problem for that field. */
export type FieldRenderer = (
  name: string,
  label: string,
  control: (props: { id: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode,
  hint?: string,
) => ReactNode;

export interface FieldsProps {
  draft: Draft;
  set: (patch: Draft) => void;
  existing?: Connection;
  field: FieldRenderer;
  /** An id prefix for controls the renderer does not make (checkboxes). */
  id: string;
  /** Shows a failed request of the fields' own (e.g. DKIM keygen) as the form shows a failed save: at its field. */
  onError: (error: unknown) => void;
}

/** One connection type in the form: its fields, and how they become the API's body. */
export interface ConnectionKind {
  type: ConnectionType;
  /** As users name it: "SMTP", "Salesforce", "PostgreSQL". */
  title: string;
  /** What it is for, under the type choice. */
  purpose: string;
  draftOf(existing?: Connection): Draft;
  /** The POST body without `name` (create), or with `before` a JSON merge patch: '' clears a field, a blank secret keeps it. */
  bodyOf(draft: Draft, before?: Connection): Record<string, unknown>;
  /** The draft field that shows an API problem at `field` ('auth.clientSecret' → 'clientSecret'), if the form has it. */
  fieldOf(apiField: string): string | undefined;
  Fields(props: FieldsProps): ReactNode;
}

/** The placeholder of a write-only field that has a stored value. */
export const KEPT = 'set — leave empty to keep';

export const text = (v: string | boolean | undefined): string => (typeof v === 'string' ? v.trim() : '');

/** Drops what a create body leaves out: null (the patch form of "none") and empty objects. */
export function createBody(body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? createBody(v as Record<string, unknown>) : v;
  }
  return out;
}
