import { createServer } from 'node:net';

/**
 * Ports this module has handed out. A port is free only until its caller binds it, and the kernel may
 * offer a just-closed port again at once: a three-node cluster once got the same client port for two
 * nodes. No port is handed out twice, so callers choosing several ports before binding them never share one.
 */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago, and not handed out before by this module. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether `port` on 127.0.0.1 can be bound right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive ports that were all free a moment ago. */
export async function freePortRange(count: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base + count - 1 > 65535) continue;
    const free = await Promise.all(Array.from({ length: count - 1 }, (_, i) => canBind(base + 1 + i)));
    if (free.every(Boolean)) return base;
  }
}
