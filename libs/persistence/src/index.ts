export * from './data-source';
export * from './database-url';
export * from './ensure-database';
export * from './migrate';
export * from './transaction';
export * from './sql';
export { isStalePreparedStatementError, MAX_NAMED_PER_CONNECTION } from './prepared';
