/**
 * The inbox's filters, kept in the page's query string so that a filtered inbox can be bookmarked,
 * shared and restored by the back button. They are the parameters of GET /api/gates (DESIGN section 14)
 * under the same names, passed on as they are: the API judges them, and a bad one shows its answer.
 */
export const FILTER_KEYS = ['state', 'recipe', 'riskLevel', 'partition', 'olderThanS', 'mine'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
/** Each filter's value; '' when not set. */
export type InboxFilters = Record<FilterKey, string>;

export const DEFAULT_STATE = 'PENDING';

/** `?riskLevel=high&olderThanS=3600` -> the filters; other parameters of the address are ignored. */
export function filtersFromSearch(search: string): InboxFilters {
  const params = new URLSearchParams(search);
  const filters = {} as InboxFilters;
  for (const key of FILTER_KEYS) filters[key] = params.get(key) ?? '';
  return filters;
}

/** The filters -> the page's query string ('' when none is set); the default state is left out. */
export function searchOfFilters(filters: InboxFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value !== '' && !(key === 'state' && value === DEFAULT_STATE)) params.set(key, value);
  }
  const search = params.toString();
  return search ? `?${search}` : '';
}

/** The filters -> the query of GET /api/gates for one page of `limit` items. */
export function inboxApiQuery(filters: InboxFilters, limit: number, cursor?: string): string {
  const params = new URLSearchParams({ state: filters.state || DEFAULT_STATE, limit: String(limit) });
  for (const key of FILTER_KEYS) if (key !== 'state' && filters[key] !== '') params.set(key, filters[key]);
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

/** The choices of a select, plus the current value when the address holds one the list lacks. */
export function withCurrent(
  options: readonly (readonly [value: string, label: string])[],
  value: string,
  label = value,
): readonly (readonly [value: string, label: string])[] {
  return options.some(([v]) => v === value) ? options : [...options, [value, label]];
}
