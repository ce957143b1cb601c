import 'reflect-metadata';
import { TimeoutError } from 'rxjs';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { hasCode, rpcFailure } from './rpc-error.mapping';

describe('rpcFailure', () => {
  it('keeps the code, message and details a service answered with', () => {
    const err = rpcFailure({ error: 'GATE_CLOSED', message: 'closed', details: { a: 1 } });
    expect(err).toBeInstanceOf(GatehouseError);
    expect(err.toBody()).toEqual({ error: 'GATE_CLOSED', message: 'closed', details: { a: 1 } });
    expect(hasCode(err, ErrorCode.GATE_CLOSED)).toBe(true);
    expect(hasCode(new Error('x'), ErrorCode.GATE_CLOSED)).toBe(false);
  });

  it.each([
    ['a timeout', new TimeoutError()],
    [
      'no responders (empty answer)',
      new Error('Empty response. There are no subscribers listening to that message ("rpc.gates.get")'),
    ],
    ['a lost connection (Nest rejects with a string)', 'Error: Connection lost. Trying to reconnect...'],
    ['a closed connection', new Error('Connection closed')],
    [
      'a pattern nobody handles (during a rolling deploy)',
      'There is no matching message handler defined in the remote service.',
    ],
  ])('answers %s with 503 SERVICE_UNAVAILABLE, never 500', (_name, thrown) => {
    expect(rpcFailure(thrown).code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
  });

  it('keeps an answer that is not our error shape a 500 (a bug in the service)', () => {
    expect(rpcFailure({ status: 'error', message: 'Internal server error' }).code).toBe(ErrorCode.INTERNAL_ERROR);
  });
});
