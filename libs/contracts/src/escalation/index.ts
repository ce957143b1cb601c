export * from './escalation-events';
export * from './escalation-views';
