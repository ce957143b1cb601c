/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The database and NATS stacks take seconds to load; only migrate, oracle and prune need them, so
 * they are required when one of those runs, and `gatehouse status` starts in a fraction of a second.
 */
export const loadMessaging = (): typeof import('@gatehouse/messaging') => require('@gatehouse/messaging');
export const loadPersistence = (): typeof import('@gatehouse/persistence') => require('@gatehouse/persistence');
export const loadOracle = (): typeof import('../../../../tools/oracle/run-oracle') =>
  require('../../../../tools/oracle/run-oracle');
