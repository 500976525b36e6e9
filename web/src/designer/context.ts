import { createContext, useContext, useMemo } from 'react';
import type { Problem } from '../api';
import type { Definition, ObjectField } from '../types';
import { actionTokens, triggerTokens } from './tokens';

/** Validation problems of the last Save, each shown at the field whose JSON path it names. */
export const ProblemsContext = createContext<Problem[]>([]);

export function useProblems(path: string, exact = false): Problem[] {
  const all = useContext(ProblemsContext);
  return all.filter((p) => p.path === path || (!exact && (p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`))));
}

/** A value a field can insert: `@{expression}`. */
export interface Token {
  group: string;
  label: string;
  expression: string;
  hint?: string;
}

/** The fields of the object a connector trigger watches (GET …/objects/{object}/fields): the trigger's dynamic content. */
export const SourceFieldsContext = createContext<{ fields?: ObjectField[]; error?: unknown }>({});

/** Dynamic content that only some fields see: the item of the Foreach they sit in. */
export const LoopTokensContext = createContext<Token[]>([]);
/** The workflow definition being edited, and the action a field belongs to. */
export const DefinitionContext = createContext<Definition>({ triggers: {}, actions: {} });
export const CurrentActionContext = createContext<string>('');

/** Dynamic content available where a field sits: the trigger's, other actions' and a loop's item. */
export function useTokens(): Token[] {
  const definition = useContext(DefinitionContext);
  const loop = useContext(LoopTokensContext);
  const current = useContext(CurrentActionContext);
  const source = useContext(SourceFieldsContext);
  return useMemo(() => {
    const [name, trigger] = Object.entries(definition.triggers ?? {})[0] ?? [];
    const all = [...loop, ...(name ? triggerTokens(name, trigger, source.fields) : []), ...actionTokens(definition.actions ?? {}, current)];
    const seen = new Set<string>();
    return all.filter((t) => !seen.has(t.expression) && seen.add(t.expression));
  }, [definition, loop, current, source]);
}

/** Connections (each step picks those of its type), and a way to refresh them once one is created inline. */
export interface ConnectionsState {
  all: Array<{ name: string; type: string }>;
  loaded: boolean;
  reload: () => Promise<void>;
}
export const ConnectionsContext = createContext<ConnectionsState>({ all: [], loaded: false, reload: async () => {} });

/** The workflow's parameters (`$connections`), for Logic Apps' ApiConnection form of Send Email. */
export interface ParametersState {
  parameters: Record<string, any>;
  setParameters: (p: Record<string, any>) => void;
}
export const ParametersContext = createContext<ParametersState>({ parameters: {}, setParameters: () => {} });
