export * from './principal';
export * from './api-key';
export * from './authorization';
export * from './actor-header';
export * from './jwt-verifier';
export * from './auth-env';
export * from './authenticator';
export * from './signed-sources';
