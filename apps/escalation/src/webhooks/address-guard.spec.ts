import { AddressRefusedError, checkWebhookUrl, guardedLookup, isBlockedAddress } from './address-guard';

describe('isBlockedAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.5',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.1.2.3',
    'not-an-address',
  ])('refuses %s', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    // IPv6 forms that carry an IPv4 address: IPv4-compatible (deprecated), NAT64 and 6to4.
    '::7f00:1',
    '::a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::7f00:1',
    '64:ff9b:1::1',
    '2002:7f00:1::1',
    '2002:a00:1::',
  ])('refuses %s, which reaches a blocked IPv4 address', (address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows the public address %s', (address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });
});

describe('checkWebhookUrl', () => {
  const refused = (url: string, allowPrivate = false) =>
    checkWebhookUrl(url, allowPrivate).then(
      () => 'accepted',
      (err: Error) => (err instanceof AddressRefusedError ? err.message : `unexpected: ${err.message}`),
    );

  it('requires https unless private addresses are allowed', async () => {
    expect(await refused('http://93.184.216.34/hook')).toMatch(/https/);
    expect(await refused('ftp://93.184.216.34/hook', true)).toMatch(/https/);
    expect(await refused('http://127.0.0.1:9/hook', true)).toBe('accepted');
  });

  it('refuses loopback and private addresses, literal or resolved, after DNS', async () => {
    expect(await refused('https://127.0.0.1/hook')).toMatch(/private or loopback address \(127\.0\.0\.1\)/);
    expect(await refused('https://[::1]/hook')).toMatch(/private or loopback/);
    expect(await refused('https://169.254.169.254/latest/meta-data')).toMatch(/private or loopback/);
    // Every spelling the URL parser reads as a blocked address.
    for (const url of [
      'https://2130706433/hook',
      'https://0177.0.0.1/hook',
      'https://0x7f.1/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:a9fe:a9fe]/hook',
      'https://[64:ff9b::169.254.169.254]/hook',
    ]) {
      expect({ url, refusal: await refused(url) }).toMatchObject({
        url,
        refusal: expect.stringMatching(/private or loopback/),
      });
    }
    // A name is judged by what it resolves to.
    expect(await refused('https://localhost/hook')).toMatch(/private or loopback/);
  });

  it('refuses credentials in the URL, names that do not resolve, and what is not a URL', async () => {
    expect(await refused('https://user:pw@93.184.216.34/hook')).toMatch(/credentials/);
    expect(await refused('https://no-such-host.invalid/hook')).toMatch(/does not resolve/);
    expect(await refused('not a url')).toMatch(/not a valid URL/);
  });

  it('accepts a public https address', async () => {
    expect(await refused('https://93.184.216.34/hook')).toBe('accepted');
  });
});

describe('guardedLookup (at connection time)', () => {
  it('refuses a name that resolves to loopback', async () => {
    const err = await new Promise<Error | null>((resolve) => guardedLookup('localhost', {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(AddressRefusedError);
  });
});
