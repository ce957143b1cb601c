import { maintenanceUrl } from './database-url';

describe('maintenanceUrl', () => {
  it('points at the postgres database and names the target, keeping credentials, host and options', () => {
    const { database, adminUrl } = maintenanceUrl('postgres://u:p%40ss@db.local:6543/gatehouse?sslmode=disable');
    expect(database).toBe('gatehouse');
    const u = new URL(adminUrl);
    expect(u.pathname).toBe('/postgres');
    expect(u.username).toBe('u');
    expect(decodeURIComponent(u.password)).toBe('p@ss');
    expect(u.host).toBe('db.local:6543');
    expect(u.searchParams.get('sslmode')).toBe('disable');
  });

  it('decodes an escaped database name', () => {
    expect(maintenanceUrl('postgresql://127.0.0.1/my%20db').database).toBe('my db');
  });

  it('defaults to postgres when the URL names no database', () => {
    expect(maintenanceUrl('postgres://127.0.0.1:5432').database).toBe('postgres');
    expect(maintenanceUrl('postgres://127.0.0.1:5432/').database).toBe('postgres');
  });
});
