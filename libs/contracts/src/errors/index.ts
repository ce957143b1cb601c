export * from './error-code';
export * from './gatehouse.error';
