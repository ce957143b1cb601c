import { decodeRpcAnswer, encodeRpcRequest, MalformedRpcAnswerError } from './rpc-packet';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('rpc packet (the NestJS NATS transport format)', () => {
  it('encodes a request with its pattern, data and a fresh id each time', () => {
    const a = JSON.parse(encodeRpcRequest('rpc.gates.get', { workflowId: 'w' }));
    const b = JSON.parse(encodeRpcRequest('rpc.gates.get', { workflowId: 'w' }));
    expect(a).toEqual({ pattern: 'rpc.gates.get', data: { workflowId: 'w' }, id: expect.any(String) });
    expect(b.id).not.toBe(a.id);
  });

  it("returns an answer's response", () => {
    expect(decodeRpcAnswer(bytes('{"id":"1","response":{"ok":true},"isDisposed":true}'))).toEqual({ ok: true });
  });

  it("throws an answer's err as it came, for the caller's error mapping", () => {
    const body = { error: 'GATE_NOT_FOUND', message: 'no such gate' };
    expect(() => decodeRpcAnswer(bytes(JSON.stringify({ id: '1', err: body, isDisposed: true })))).toThrow(
      expect.objectContaining(body),
    );
  });

  it.each([
    ['empty', ''],
    ['not JSON', '{"id":'],
    ['not an object', '42'],
  ])('refuses an answer that is %s', (_name, text) => {
    expect(() => decodeRpcAnswer(bytes(text))).toThrow(MalformedRpcAnswerError);
  });

  it('decodes a view into a larger buffer by its own bounds', () => {
    const whole = bytes('xx{"response":7}yy');
    expect(decodeRpcAnswer(whole.subarray(2, whole.length - 2))).toBe(7);
  });
});
