import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { GatewayEnv } from './config/gateway.env';
import { HttpExceptionFilter } from './errors/http-exception.filter';
import { validationError } from '@gatehouse/contracts';
import { correlationMiddleware } from './http/correlation';
import { JSON_BODY_TYPES, requireJsonBody } from './http/json-body.middleware';
import { StrictValidationPipe } from './http/strict-validation.pipe';

/** Builds the gateway app, configured but not listening; `env` is process.env already validated. */
export async function createGatewayApp(env: GatewayEnv): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(), {
    bufferLogs: true,
    bodyParser: false,
    // Long-polls and status streams must not hold a shutdown open.
    forceCloseConnections: true,
  });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.use(correlationMiddleware);
  app.use(requireJsonBody);
  // Registered here rather than by Nest so that its limit is ours and its errors reach our filter.
  app.useBodyParser('json', { limit: `${env.HTTP_BODY_LIMIT_KB}kb`, type: JSON_BODY_TYPES, strict: true });
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
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Gatehouse gateway')
      .setDescription('Human-in-the-loop gates: intents, runs, gates and replies')
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
