export * from './reply.dto';
export * from './gate-views';
export * from './gate-events';
