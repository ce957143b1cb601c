export * from './roles';
export * from './api-key-rpc';
