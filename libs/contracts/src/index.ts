export * from './errors';
export * from './abi';
export * from './hashing';
export * from './runs';
export * from './gates';
export * from './escalation';
export * from './rpc';
export * from './config';
