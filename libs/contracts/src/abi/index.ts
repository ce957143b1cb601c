export * from './gate-abi';
export * from './event-patterns';
export * from './event-value-schemas';
