// DTO decorators (class-transformer @Type, class-validator) need the metadata polyfill loaded first.
import 'reflect-metadata';
export * from './errors';
export * from './abi';
export * from './hashing';
export * from './runs';
export * from './gates';
export * from './escalation';
export * from './rpc';
export * from './config';
export * from './validation';
export * from './policy';
export * from './health';
export * from './auth';
export * from './webhooks';
