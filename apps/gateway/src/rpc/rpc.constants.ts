/** Injection token of the NestJS NATS ClientProxy used for request/reply. */
export const RPC_CLIENT = Symbol('RPC_CLIENT');
