export * from './run-model';
export * from './create-intent.dto';
export * from './start-run.dto';
export * from './run-laws';
export * from './run-messages';
export * from './run-failure-codes';
export * from './run-message-ids';
export * from './run-control';
