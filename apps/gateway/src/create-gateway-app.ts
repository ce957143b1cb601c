import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { GatewayEnv } from './config/gateway.env';
import { fastifyTrustProxy, parseTrustProxy } from './config/trust-proxy';
import { HttpExceptionFilter } from './errors/http-exception.filter';
import { validationError } from '@gatehouse/contracts';
import { Metrics } from '@gatehouse/messaging';
import { registerHttpMetrics } from './http/http-metrics';
import { correlationMiddleware } from './http/correlation';
import { buildOpenApiDocument } from './openapi/openapi-document';
import { registerJsonBodyParser, requireJsonBody } from './http/json-body';
import { StrictValidationPipe } from './http/strict-validation.pipe';
import { RequestAuthentication } from './auth/authentication.middleware';
import { serveConsole } from './console/serve-console';

/** Builds the gateway app, configured but not listening; `env` is process.env already validated. */
export async function createGatewayApp(env: GatewayEnv): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: env.HTTP_BODY_LIMIT_KB * 1024,
    // request.ip: the client named by X-Forwarded-For only behind a trusted proxy, else the socket's.
    trustProxy: fastifyTrustProxy(parseTrustProxy(env.TRUST_PROXY)),
    // Long-polls and status streams must not hold a shutdown open.
    forceCloseConnections: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(), adapter, {
    bufferLogs: true,
    // Let a failed start reach main's catch (a refused NATS identity exits 78, a configuration error).
    abortOnError: false,
    // Our parser (json-body.ts) replaces Nest's: strict JSON, its errors reach our filter.
    bodyParser: false,
  });
  const authentication = app.get(RequestAuthentication);
  // A signed source's HMAC covers the raw body: checked as the body is parsed.
  registerJsonBodyParser(app.getHttpAdapter().getInstance(), (req, raw) => authentication.verifyBody(req, raw));
  registerHttpMetrics(app.getHttpAdapter().getInstance(), app.get(Metrics));
  app.useLogger(app.get(Logger));
  app.use(correlationMiddleware);
  // Who is asking is settled before the body is read: a refused credential costs no parsing, no RPC.
  app.use(authentication.middleware);
  app.use(requireJsonBody);
  app.useGlobalPipes(
    new StrictValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => validationError(errors),
    }),
  );
  app.useGlobalFilters(new HttpExceptionFilter());
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app));
  serveConsole(app.getHttpAdapter().getInstance());
  return app;
}
