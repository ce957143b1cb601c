export * from './escalation-events';
