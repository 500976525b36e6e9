import { useContext, useState } from 'react';
import { ActionCard } from './ActionCard';
import { ACTIONS, type CatalogEntry } from './catalog';
import { DefinitionContext } from './context';
import { allNames, appendAction, uniqueName, ordered, removeAction, renameAction, seg, type Actions } from './model';
import { Picker } from './Picker';

/**
 * The actions of one scope (the workflow, a Condition branch, a loop), in run order, each
 * followed by the seed's "+ New step" → "Add an action" → search.
 */
export function ActionList({ actions, path, onChange, where }: { actions: Actions; path: string; onChange: (a: Actions) => void; where: string }) {
  const definition = useContext(DefinitionContext);
  const [mode, setMode] = useState<'idle' | 'menu' | 'search'>('idle');
  const names = ordered(actions);

  const add = (entry: CatalogEntry): void => {
    const name = uniqueName(entry.name, allNames(definition.actions ?? {}));
    onChange(appendAction(actions, name, entry.create()));
    setMode('idle');
  };

  return (
    <div className="action-list">
      <ol className="flow">
        {names.map((name) => (
          <li key={name}>
            <ActionCard
              name={name}
              action={actions[name]}
              path={`${path}${seg(name)}`}
              siblings={names.filter((n) => n !== name)}
              onChange={(a) => onChange({ ...actions, [name]: a })}
              onRemove={() => onChange(removeAction(actions, name))}
              onRename={(to) => {
                if (to === name || !to) return true;
                if (allNames(definition.actions ?? {}).has(to)) return false;
                onChange(renameAction(actions, name, to));
                return true;
              }}
            />
          </li>
        ))}
      </ol>
      <div className="new-step">
        {mode === 'idle' && (
          <button type="button" className="new-step-button" onClick={() => setMode('menu')} aria-label={where === 'workflow' ? undefined : `New step in ${where}`}>
            + New step
          </button>
        )}
        {mode === 'menu' && (
          <div className="new-step-menu" role="group" aria-label="New step">
            <button type="button" className="primary" onClick={() => setMode('search')} autoFocus>
              Add an action
            </button>
            <button type="button" onClick={() => add(ACTIONS.find((a) => a.id === 'if')!)}>
              Add a condition
            </button>
            <button type="button" className="link-button" onClick={() => setMode('idle')}>
              Cancel
            </button>
          </div>
        )}
        {mode === 'search' && <Picker entries={ACTIONS} label="Choose an action" onPick={add} onCancel={() => setMode('idle')} />}
      </div>
    </div>
  );
}

