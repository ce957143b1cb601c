export * from './health-paths';
