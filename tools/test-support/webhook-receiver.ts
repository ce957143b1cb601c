import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, with what verifying it (the receiver's way) showed. */
export interface ReceivedWebhook {
  path: string;
  at: number;
  webhookId: string;
  signatures: string[];
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  /** Which of the path's secrets verified the request (standardwebhooks' Webhook.verify). */
  verifiedBy: string[];
  status: number;
}

export interface ReceiverAnswer {
  status: number;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow receiver). */
  delayMs?: number;
  body?: string;
  /** Close the connection without answering (a server whose keep-alive ran out as the request came). */
  dropConnection?: boolean;
}

/**
 * A webhook receiver on loopback, as a team would write one: it verifies each request's Standard
 * Webhooks signature with the `standardwebhooks` package against the secrets it knows for the path,
 * records it, and answers as the test says (200 by default).
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** TCP connections accepted so far (a sender that keeps connections alive opens fewer than it sends). */
  connections = 0;
  private readonly secrets = new Map<string, string[]>();
  private readonly answers = new Map<string, (n: number) => ReceiverAnswer>();
  private server?: Server;
  private port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('connection', () => this.connections++);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get listeningPort(): number {
    return this.port;
  }

  /** The secrets a path's requests must be signed with (any of them verifies). */
  trust(path: string, ...secrets: string[]): void {
    this.secrets.set(path, secrets);
  }

  /** How the path answers its n-th request (1-based). */
  answer(path: string, fn: (n: number) => ReceiverAnswer): void {
    this.answers.set(path, fn);
  }

  on(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const verifiedBy = (this.secrets.get(path) ?? []).filter((secret) => {
      try {
        new Webhook(secret).verify(body, headers);
        return true;
      } catch {
        return false;
      }
    });
    const n = this.on(path).length + 1;
    const answer = this.answers.get(path)?.(n) ?? { status: 200 };
    let payload: ReceivedWebhook['payload'];
    try {
      payload = JSON.parse(body);
    } catch {
      payload = { type: '', timestamp: '', data: {} };
    }
    this.received.push({
      path,
      at: Date.now(),
      webhookId: headers['webhook-id'] ?? '',
      signatures: (headers['webhook-signature'] ?? '').split(' ').filter(Boolean),
      body,
      payload,
      verifiedBy,
      status: answer.status,
    });
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    if (answer.dropConnection) return void req.socket.destroy();
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) });
    res.end(answer.body ?? 'ok');
  }
}
