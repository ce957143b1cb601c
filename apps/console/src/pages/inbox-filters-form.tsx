import { useState, type FormEvent } from 'react';
import { BUILT_IN_RECIPES } from '@gatehouse/contracts/recipes';
import { RISK_LEVELS } from '@gatehouse/contracts/risk-level';
import {
  DEFAULT_STATE,
  filtersFromSearch,
  searchOfFilters,
  withCurrent,
  type InboxFilters,
} from '../lib/inbox-filters';

type Options = readonly (readonly [value: string, label: string])[];

const STATES: Options = ['PENDING', 'RECEIVED', 'TIMED_OUT', 'CANCELLED'].map((s) => [s, s]);
const RISKS: Options = [['', 'any'], ...RISK_LEVELS.map((r) => [r, r] as const)];
const AGES: Options = [
  ['', 'any time'],
  ['300', '5 min'],
  ['3600', '1 h'],
  ['86400', '1 day'],
];

/**
 * The inbox's filters. Selects and the checkbox apply at once; the text fields (recipe, partition)
 * when submitted (Enter or Apply), so that half-typed names neither query the API nor fill the history.
 */
export function InboxFiltersForm({
  filters,
  onApply,
}: {
  filters: InboxFilters;
  onApply: (filters: InboxFilters) => void;
}) {
  // What is typed in the text fields; the address's values again whenever the address changes.
  const shown = searchOfFilters(filters);
  const [typed, setTyped] = useState({ for: shown, recipe: filters.recipe, partition: filters.partition });
  const draft = typed.for === shown ? typed : { for: shown, recipe: filters.recipe, partition: filters.partition };
  const type = (change: Partial<typeof draft>) => setTyped({ ...draft, ...change });

  const apply = (change: Partial<InboxFilters> = {}) =>
    onApply({ ...filters, recipe: draft.recipe.trim(), partition: draft.partition.trim(), ...change });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    apply();
  };
  const select = (key: keyof InboxFilters, label: string, options: Options, fallback = '') => (
    <label>
      {label}{' '}
      <select value={filters[key] || fallback} onChange={(e) => apply({ [key]: e.target.value })}>
        {withCurrent(options, filters[key] || fallback).map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <form className="filters" aria-label="Filters" onSubmit={submit}>
      {select('state', 'State', STATES, DEFAULT_STATE)}
      {select('riskLevel', 'Risk', RISKS)}
      <label>
        Recipe{' '}
        <input
          list="inbox-recipes"
          value={draft.recipe}
          onChange={(e) => type({ recipe: e.target.value })}
          placeholder="any"
          size={16}
          maxLength={64}
        />
        <datalist id="inbox-recipes">
          {BUILT_IN_RECIPES.map((r) => (
            <option key={r} value={r} />
          ))}
        </datalist>
      </label>
      <label>
        Partition{' '}
        <input
          value={draft.partition}
          onChange={(e) => type({ partition: e.target.value })}
          placeholder="any"
          size={16}
          maxLength={128}
        />
      </label>
      {select('olderThanS', 'Waiting longer than', withCurrent(AGES, filters.olderThanS, `${filters.olderThanS} s`))}
      <label>
        <input
          type="checkbox"
          checked={filters.mine === 'true'}
          onChange={(e) => apply({ mine: e.target.checked ? 'true' : '' })}
        />{' '}
        Only gates I may decide
      </label>
      <button type="submit">Apply</button>
      {shown !== '' && (
        <button type="button" onClick={() => onApply(filtersFromSearch(''))}>
          Clear filters
        </button>
      )}
    </form>
  );
}
