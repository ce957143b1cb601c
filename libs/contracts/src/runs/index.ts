export * from './run-model';
export * from './create-intent.dto';
export * from './start-run.dto';
export * from './run-laws';
export * from './run-messages';
