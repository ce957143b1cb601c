export * from './validate-dto';
export * from './ids';
export * from './safe-body';
