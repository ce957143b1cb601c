/** Splits a Postgres URL into the target database name and a URL to the maintenance database. */
export function maintenanceUrl(databaseUrl: string): { database: string; adminUrl: string } {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  url.pathname = '/postgres';
  return { database, adminUrl: url.toString() };
}

/** A URL (or a comma-separated list of them) with any password replaced by `***`, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/,]+):[^@/,]*@/g, '//$1:***@');
}
