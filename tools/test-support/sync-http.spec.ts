import { freePort } from './free-port';
import { SyncHttp } from './sync-http';

describe('SyncHttp', () => {
  it('answers status 0 with the error when nothing listens, instead of throwing', async () => {
    const http = new SyncHttp(2_000);
    try {
      const port = await freePort();
      const [res] = http.batch([{ method: 'GET', url: `http://127.0.0.1:${port}/` }]);
      expect(res.status).toBe(0);
      expect(res.error).toMatch(/fetch failed|ECONNREFUSED/);
      expect(http.batch([])).toEqual([]);
    } finally {
      await http.close();
    }
  });

  it('sleeps the calling thread', () => {
    const started = Date.now();
    SyncHttp.sleep(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
