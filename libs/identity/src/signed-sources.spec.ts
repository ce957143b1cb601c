import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { parseSignedSources, SignedSources } from './signed-sources';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return err instanceof GatehouseError ? err.code : `error: ${(err as Error).message}`;
  }
}

describe('parseSignedSources', () => {
  it('reads YAML and JSON, with one secret or several', () => {
    const s = secret();
    expect(parseSignedSources(`sources:\n  - id: pager\n    secret: ${s}\n    roles: [operator]\n`)).toMatchObject([
      { id: 'pager', roles: ['operator'] },
    ]);
    const json = JSON.stringify({ sources: [{ id: 'ci', secrets: [secret(), secret()] }] });
    expect(parseSignedSources(json)[0]).toMatchObject({ id: 'ci', roles: [] });
    expect(parseSignedSources(json)[0].verifiers).toHaveLength(2);
  });

  it.each([
    ['no list', 'nope: 1', /sources/],
    ['a bad id', `sources: [{id: "Bad Id", secret: "${secret()}"}]`, /id must match/],
    ['a weak secret', `sources: [{id: a, secret: "whsec_${Buffer.from('short').toString('base64')}"}]`, /at least 24/],
    ['no secret', 'sources: [{id: a}]', /secrets/],
    ['an unknown field', `sources: [{id: a, secret: "${secret()}", url: x}]`, /unknown field "url"/],
    ['a duplicate id', `sources: [{id: a, secret: "${secret()}"}, {id: a, secret: "${secret()}"}]`, /twice/],
    ['a bad role', `sources: [{id: a, secret: "${secret()}", roles: ["Not A Role"]}]`, /roles/],
  ])('refuses %s, without echoing a secret', (_what, text, message) => {
    let error: Error | undefined;
    try {
      parseSignedSources(text);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toMatch(/whsec_/);
  });
});

describe('SignedSources', () => {
  const oldSecret = secret();
  const newSecret = secret();
  const sources = new SignedSources(
    parseSignedSources(
      JSON.stringify({ sources: [{ id: 'pager', secrets: [newSecret, oldSecret], roles: ['operator'] }] }),
    ),
  );
  const body = JSON.stringify({ dedupeKey: 'k' });
  const signed = (key: string, at = new Date(), id = 'msg_1', payload = body) => ({
    id,
    timestamp: String(Math.floor(at.getTime() / 1000)),
    signature: new Webhook(key).sign(id, at, payload),
  });

  it('verifies a body signed with any current secret (rotation) and names the source as principal', () => {
    for (const key of [newSecret, oldSecret]) {
      const headers = signed(key);
      const source = sources.precheck('pager', headers);
      expect(sources.verify(source, body, headers)).toEqual({
        id: 'source:pager',
        kind: 'source',
        name: 'pager',
        roles: ['operator'],
      });
    }
  });

  it('refuses an unknown source, missing headers and a timestamp outside 5 minutes before reading the body', () => {
    const headers = signed(newSecret);
    expect(codeOf(() => sources.precheck('other', headers))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(codeOf(() => sources.precheck(undefined, headers))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(codeOf(() => sources.precheck('pager', { ...headers, id: undefined }))).toBe(ErrorCode.UNAUTHENTICATED);
    const stale = signed(newSecret, new Date(Date.now() - 6 * 60_000));
    expect(codeOf(() => sources.precheck('pager', stale))).toBe(ErrorCode.UNAUTHENTICATED);
    const future = signed(newSecret, new Date(Date.now() + 6 * 60_000));
    expect(codeOf(() => sources.precheck('pager', future))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(codeOf(() => sources.precheck('pager', { ...headers, timestamp: '12abc' }))).toBe(ErrorCode.UNAUTHENTICATED);
  });

  it('refuses a signature by another secret, over another body, or for another webhook-id', () => {
    const source = sources.precheck('pager', signed(newSecret));
    expect(codeOf(() => sources.verify(source, body, signed(secret())))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(codeOf(() => sources.verify(source, `${body} `, signed(newSecret)))).toBe(ErrorCode.UNAUTHENTICATED);
    const other = signed(newSecret);
    expect(codeOf(() => sources.verify(source, body, { ...other, id: 'msg_2' }))).toBe(ErrorCode.UNAUTHENTICATED);
    expect(codeOf(() => sources.verify(source, body, { ...other, signature: 'v1,garbage' }))).toBe(
      ErrorCode.UNAUTHENTICATED,
    );
  });
});
