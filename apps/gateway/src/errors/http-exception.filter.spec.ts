import {
  BadRequestException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
  type ArgumentsHost,
} from '@nestjs/common';
import { ERROR_STATUS, ErrorCode, GatehouseError } from '@gatehouse/contracts';
import { HttpExceptionFilter } from './http-exception.filter';
import { toHttpError } from './http-error.mapping';

/** An error shaped like Fastify's own (a `FST_` code and a `statusCode`). */
function fastifyError(code: string, statusCode: number, message = `fastify ${code}`): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

/** The slice of Fastify's reply the filter uses. */
class FakeReply {
  statusCode = 200;
  headers: Record<string, string> = {};
  body: unknown;
  ended = false;
  readonly raw = {
    headersSent: false,
    end: () => {
      this.ended = true;
    },
  };
  status(code: number) {
    this.statusCode = code;
    return this;
  }
  header(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
  getHeader(name: string) {
    return this.headers[name.toLowerCase()];
  }
  send(body: unknown) {
    this.body = body;
    this.ended = true;
  }
}

function hostFor(res: FakeReply): ArgumentsHost {
  return { switchToHttp: () => ({ getResponse: () => res, getRequest: () => ({}) }) } as unknown as ArgumentsHost;
}

describe('toHttpError', () => {
  it.each(Object.values(ErrorCode))('keeps GatehouseError %s with its status and message', (code) => {
    const res = toHttpError(new GatehouseError(code, `msg ${code}`));
    expect(res.status).toBe(ERROR_STATUS[code]);
    expect(res.body).toEqual({ error: code, message: `msg ${code}` });
    expect(res.unexpected).toBe(code === ErrorCode.INTERNAL_ERROR);
  });

  it('passes details through', () => {
    const details = [{ field: 'payload.choice', errors: ['choice must be a string'] }];
    expect(toHttpError(new GatehouseError(ErrorCode.VALIDATION_FAILED, 'bad', details)).body).toEqual({
      error: 'VALIDATION_FAILED',
      message: 'bad',
      details,
    });
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, ErrorCode.PAYLOAD_TOO_LARGE],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 400, ErrorCode.VALIDATION_FAILED],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, ErrorCode.INVALID_JSON],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, ErrorCode.INVALID_JSON],
  ])('maps Fastify %s to its code with a message of ours', (fstCode, fstStatus, status, code) => {
    const res = toHttpError(fastifyError(fstCode, fstStatus, 'Unexpected token } in JSON at position 9: {"a":}'));
    expect(res).toMatchObject({ status, body: { error: code }, unexpected: false });
    expect(res.body.message).not.toContain('{"a":}');
  });

  it.each([
    ['FST_ERR_BAD_URL', 400, 400, ErrorCode.VALIDATION_FAILED],
    ['FST_ERR_SOMETHING_NEW', 413, 413, ErrorCode.PAYLOAD_TOO_LARGE],
    ['FST_ERR_SOMETHING_NEW', 503, 503, ErrorCode.SERVICE_UNAVAILABLE],
  ])('maps another Fastify error %s by its status', (fstCode, fstStatus, status, code) => {
    expect(toHttpError(fastifyError(fstCode, fstStatus))).toMatchObject({
      status,
      body: { error: code },
      unexpected: false,
    });
  });

  it('answers a Fastify error with a 5xx status as a logged 500 without its message', () => {
    expect(toHttpError(fastifyError('FST_ERR_SOMETHING_BROKE', 500, 'secret detail'))).toEqual({
      status: 500,
      body: { error: ErrorCode.INTERNAL_ERROR, message: 'internal error' },
      unexpected: true,
    });
  });

  it('maps an unknown route to 404 ROUTE_NOT_FOUND', () => {
    expect(toHttpError(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { error: ErrorCode.ROUTE_NOT_FOUND, message: 'Cannot GET /nope' },
      unexpected: false,
    });
  });

  it.each([
    [
      new BadRequestException(['a must be a string', 'b is missing']),
      400,
      ErrorCode.VALIDATION_FAILED,
      'a must be a string; b is missing',
    ],
    [new PayloadTooLargeException(), 413, ErrorCode.PAYLOAD_TOO_LARGE, undefined],
    [new HttpException('nope', 415), 415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'nope'],
    [new HttpException('method', 405), 400, ErrorCode.VALIDATION_FAILED, 'method'],
    [new HttpException('slow', 429), 503, ErrorCode.OVERLOADED, 'slow'],
    [new HttpException('down', 503), 503, ErrorCode.SERVICE_UNAVAILABLE, 'down'],
  ])('maps other HttpExceptions sensibly (%#)', (ex, status, code, message) => {
    const res = toHttpError(ex);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
    if (message) expect(res.body.message).toBe(message);
    expect(res.unexpected).toBe(false);
  });

  it.each([new Error('boom'), new TypeError('x is undefined'), 'a string', null, new HttpException('oops', 500)])(
    'answers anything else as a logged 500 INTERNAL_ERROR without leaking it (%#)',
    (thrown) => {
      const res = toHttpError(thrown);
      expect(res).toEqual({
        status: 500,
        body: { error: ErrorCode.INTERNAL_ERROR, message: 'internal error' },
        unexpected: true,
      });
    },
  );
});

describe('HttpExceptionFilter', () => {
  const filter = new HttpExceptionFilter();

  it('writes the status and the `{error, message}` body', () => {
    const res = new FakeReply();
    filter.catch(new GatehouseError(ErrorCode.GATE_CLOSED, 'closed'), hostFor(res));
    expect(res.statusCode).toBe(409);
    expect(res.body).toEqual({ error: 'GATE_CLOSED', message: 'closed' });
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it.each([ErrorCode.SERVICE_UNAVAILABLE, ErrorCode.OVERLOADED])('adds Retry-After: 1 to a 503 %s', (code) => {
    const res = new FakeReply();
    filter.catch(new GatehouseError(code, 'later'), hostFor(res));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
  });

  it('only ends a response whose headers are already sent (a stream)', () => {
    const res = new FakeReply();
    res.raw.headersSent = true;
    filter.catch(new GatehouseError(ErrorCode.SERVICE_UNAVAILABLE, 'later'), hostFor(res));
    expect(res.ended).toBe(true);
    expect(res.body).toBeUndefined();
    expect(res.statusCode).toBe(200);
  });

  it('logs an unexpected error and answers 500', () => {
    const res = new FakeReply();
    const spy = jest
      .spyOn((filter as unknown as { logger: { error: (x: unknown) => void } }).logger, 'error')
      .mockImplementation(() => undefined);
    filter.catch(new Error('bug'), hostFor(res));
    expect(res.statusCode).toBe(500);
    expect(res.body).toEqual({ error: 'INTERNAL_ERROR', message: 'internal error' });
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});
