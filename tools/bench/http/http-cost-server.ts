/**
 * One server of the HTTP-cost bench (http-cost.ts): the reply route answered at once, by the HTTP
 * layer named in argv[2], on the port in argv[3]. Prints "ready" once it listens.
 *
 *   raw             node:http, JSON parsed and written by hand
 *   express         Express as Nest sets it up (its JSON body parser), the route a plain handler
 *   nest            Nest on Express (the gateway's stack), no pipes
 *   nest-validated  the same with the gateway's kind of ValidationPipe and class-validator DTO
 *   nest-fastify, nest-fastify-validated
 *                   the same two on Fastify (the gateway's stack now)
 */
import 'reflect-metadata';
import { createServer } from 'node:http';
import { Body, Controller, HttpCode, Module, Param, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Type } from 'class-transformer';
import { IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

const ROUTE = '/api/runs/:wid/gates/:g/reply';
const answer = (dedupeKey: unknown) => ({ ok: true, state: 'RECEIVED', duplicate: false, dedupeKey });

class PayloadDto {
  @IsIn(['yes', 'no'])
  choice!: string;

  @IsOptional()
  @IsString()
  @MaxLength(2000)
  rationale?: string;
}

class ReplyDto {
  @ValidateNested()
  @Type(() => PayloadDto)
  payload!: PayloadDto;

  @IsString()
  @MaxLength(200)
  dedupeKey!: string;
}

@Controller('api/runs')
class ReplyController {
  @Post(':wid/gates/:g/reply')
  @HttpCode(200)
  reply(@Param('wid') _wid: string, @Body() body: ReplyDto) {
    return answer(body.dedupeKey);
  }
}

@Module({ controllers: [ReplyController] })
class ReplyModule {}

@Module({})
class EmptyModule {}

interface ExpressLike {
  post(path: string, handler: (req: { body: { dedupeKey?: unknown } }, res: { json(v: unknown): void }) => void): void;
}

const NEST_MODES = ['nest', 'nest-validated', 'nest-fastify', 'nest-fastify-validated'];

async function listen(mode: string, port: number): Promise<void> {
  if (mode === 'raw') {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = JSON.stringify(answer(JSON.parse(Buffer.concat(chunks).toString('utf8')).dedupeKey));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  } else if (mode === 'express') {
    // Through Nest, so that this bench needs no Express of its own: the same app the gateway runs on.
    const app = await NestFactory.create<NestExpressApplication>(EmptyModule, { logger: false, bodyParser: false });
    app.useBodyParser('json'); // registered now, ahead of the route below (Nest's own comes at init)
    (app.getHttpAdapter().getInstance() as ExpressLike).post(ROUTE, (req, res) => res.json(answer(req.body.dedupeKey)));
    await app.listen(port, '127.0.0.1');
  } else if (NEST_MODES.includes(mode)) {
    const app = mode.startsWith('nest-fastify')
      ? await NestFactory.create(ReplyModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(ReplyModule, { logger: false });
    if (mode.endsWith('-validated'))
      app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    await app.listen(port, '127.0.0.1');
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

listen(process.argv[2], Number(process.argv[3])).then(
  () => process.stdout.write('ready\n'),
  (err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
