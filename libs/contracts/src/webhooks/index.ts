export * from './webhook-events';
export * from './webhook.dto';
export * from './webhook-rpc';
