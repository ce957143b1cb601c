export * from './gate-abi';
