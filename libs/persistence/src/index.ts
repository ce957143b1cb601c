export * from './data-source';
export * from './database-url';
export * from './ensure-database';
export * from './migrate';
export * from './transaction';
export * from './sql';
