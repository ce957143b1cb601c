import { filtersFromSearch, inboxApiQuery, searchOfFilters, withCurrent } from './inbox-filters';

describe('inbox filters in the address', () => {
  it('reads the filters of the address, ignoring other parameters and treating empty values as unset', () => {
    expect(filtersFromSearch('?riskLevel=high&recipe=deploy&olderThanS=3600&utm=x&partition=')).toEqual({
      state: '',
      recipe: 'deploy',
      riskLevel: 'high',
      partition: '',
      olderThanS: '3600',
      mine: '',
    });
  });

  it('writes only the filters that are set, leaving out the default state, and reads back the same', () => {
    const filters = { ...filtersFromSearch(''), state: 'PENDING', partition: 'tenant a', mine: 'true' };
    const search = searchOfFilters(filters);
    expect(search).toBe('?partition=tenant+a&mine=true');
    expect(filtersFromSearch(search)).toEqual({ ...filters, state: '' });
    expect(searchOfFilters(filtersFromSearch(''))).toBe('');
    expect(searchOfFilters({ ...filtersFromSearch(''), state: 'TIMED_OUT' })).toBe('?state=TIMED_OUT');
  });

  it('asks the API for the default state and the page size, passing bad values on for the API to judge', () => {
    const q = new URLSearchParams(inboxApiQuery(filtersFromSearch('?riskLevel=banana&mine=true'), 50, 'abc'));
    expect([...q.entries()]).toEqual([
      ['state', 'PENDING'],
      ['limit', '50'],
      ['riskLevel', 'banana'],
      ['mine', 'true'],
      ['cursor', 'abc'],
    ]);
  });

  it("adds the address's value to a select's choices when they lack it", () => {
    const ages = [
      ['', 'any time'],
      ['300', '5 min'],
    ] as const;
    expect(withCurrent(ages, '300')).toBe(ages);
    expect(withCurrent(ages, '120', '120 s')).toEqual([...ages, ['120', '120 s']]);
  });
});
