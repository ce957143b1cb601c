export * from './recipes';
export * from './policy-file.error';
export * from './gate-policy-entry';
export * from './policy-file';
export * from './load-policy-file';
export * from './policy.env';
export * from './risk-policy';
