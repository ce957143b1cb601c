import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { InboundMessage, PoisonMessageError } from './inbound-message';

function fakeMsg(
  body: string,
  opts: { msgId?: string; seq?: number; deliveryCount?: number; extra?: Record<string, string> } = {},
) {
  const h = natsHeaders();
  if (opts.msgId) h.set('Nats-Msg-Id', opts.msgId);
  for (const [k, v] of Object.entries(opts.extra ?? {})) h.set(k, v);
  return {
    subject: 'evt.runs.run-updated.w1',
    seq: opts.seq ?? 42,
    data: new TextEncoder().encode(body),
    headers: opts.msgId || opts.extra ? h : undefined,
    info: { deliveryCount: opts.deliveryCount ?? 1 },
  } as unknown as JsMsg;
}

describe('InboundMessage', () => {
  it('exposes the subject, delivery count, sequence, headers and raw body', () => {
    const m = new InboundMessage(
      fakeMsg('{"a":1}', { msgId: 'run-updated:w1:3', deliveryCount: 2, extra: { 'x-correlation-id': 'c1' } }),
      'S',
    );
    expect(m).toMatchObject({
      subject: 'evt.runs.run-updated.w1',
      msgId: 'run-updated:w1:3',
      deliveryCount: 2,
      streamSeq: 42,
      raw: '{"a":1}',
    });
    expect(m.headers).toMatchObject({ 'Nats-Msg-Id': 'run-updated:w1:3', 'x-correlation-id': 'c1' });
  });

  it('falls back to <stream>:<seq> without a Nats-Msg-Id', () => {
    expect(new InboundMessage(fakeMsg('{}', { seq: 7 }), 'GATEHOUSE_EVENTS').msgId).toBe('GATEHOUSE_EVENTS:7');
  });

  it('parses the body once', () => {
    const m = new InboundMessage(fakeMsg('{"a":{"b":[1]}}'), 'S');
    const first = m.json<{ a: { b: number[] } }>();
    expect(first).toEqual({ a: { b: [1] } });
    expect(m.json()).toBe(first);
  });

  it('turns a body that is not JSON into a PoisonMessageError, every time it is read', () => {
    const m = new InboundMessage(fakeMsg('{oops'), 'S');
    expect(() => m.json()).toThrow(PoisonMessageError);
    expect(() => m.json()).toThrow(/not JSON/);
  });

  it('decodes UTF-8', () => {
    expect(new InboundMessage(fakeMsg('{"t":"héllo ✓"}'), 'S').json()).toEqual({ t: 'héllo ✓' });
  });
});
