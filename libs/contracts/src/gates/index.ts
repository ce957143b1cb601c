export * from './reply.dto';
export * from './gate-views';
export * from './gate-events';
export * from './gate-audit';
export * from './gate-rpc';
export * from './human-ingress.dto';
export * from './sys-announcements';
export * from './risk-level';
