import { HttpException } from '@nestjs/common';
import { ERROR_STATUS, ErrorCode, GatehouseError, type ErrorBody } from '@gatehouse/contracts';
import { BODY_REFUSALS } from '../http/json-body';

export interface HttpErrorAnswer {
  status: number;
  body: ErrorBody;
  /** A bug (or an unknown failure): logged with its stack, answered 500. */
  unexpected: boolean;
}

/**
 * Fastify's own failures while reading a request (before our code runs) carry a `FST_` code and a 4xx
 * `statusCode`. Their messages are fixed strings, except the JSON parser's, which we replace.
 */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: ErrorCode.PAYLOAD_TOO_LARGE,
    message: 'the body is larger than the configured limit',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    message: BODY_REFUSALS.notJsonType,
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: ErrorCode.VALIDATION_FAILED,
    message: 'the body does not match its Content-Length',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: ErrorCode.INVALID_JSON, message: BODY_REFUSALS.notJson },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: ErrorCode.INVALID_JSON, message: BODY_REFUSALS.notJson },
};

interface FastifyError {
  code: string;
  statusCode: number;
  message: string;
}

function fastifyError(err: unknown): FastifyError | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const { code, statusCode } = err as Partial<FastifyError>;
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number'
    ? (err as FastifyError)
    : undefined;
}

function answer(code: ErrorCode, message: string, details?: unknown, unexpected = false): HttpErrorAnswer {
  const body: ErrorBody = details === undefined ? { error: code, message } : { error: code, message, details };
  return { status: ERROR_STATUS[code], body, unexpected };
}

function httpExceptionMessage(ex: HttpException): string {
  const res = ex.getResponse();
  if (typeof res === 'string') return res;
  const message = (res as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : ex.message;
}

/** The code for an HttpException thrown by Nest or Fastify itself (not by our own code). */
function codeForStatus(status: number): ErrorCode {
  if (status === 404) return ErrorCode.ROUTE_NOT_FOUND;
  if (status === 413) return ErrorCode.PAYLOAD_TOO_LARGE;
  if (status === 415) return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
  if (status === 429) return ErrorCode.OVERLOADED;
  if (status === 408 || status === 502 || status === 503 || status === 504) return ErrorCode.SERVICE_UNAVAILABLE;
  if (status >= 400 && status < 500) return ErrorCode.VALIDATION_FAILED;
  return ErrorCode.INTERNAL_ERROR;
}

/**
 * Maps anything thrown while serving a request to the one error shape `{error, message, details?}`
 * and the status of ERROR_STATUS. Only what nobody anticipated becomes 500 INTERNAL_ERROR.
 */
export function toHttpError(exception: unknown): HttpErrorAnswer {
  if (exception instanceof GatehouseError) {
    return answer(exception.code, exception.message, exception.details, exception.code === ErrorCode.INTERNAL_ERROR);
  }
  const fst = fastifyError(exception);
  if (fst) {
    const known = FASTIFY_CODES[fst.code];
    if (known) return answer(known.code, known.message);
    const code = codeForStatus(fst.statusCode);
    return answer(
      code,
      code === ErrorCode.INTERNAL_ERROR ? 'internal error' : fst.message,
      undefined,
      code === ErrorCode.INTERNAL_ERROR,
    );
  }
  if (exception instanceof HttpException) {
    const code = codeForStatus(exception.getStatus());
    const message = code === ErrorCode.INTERNAL_ERROR ? 'internal error' : httpExceptionMessage(exception);
    return answer(code, message, undefined, code === ErrorCode.INTERNAL_ERROR);
  }
  return answer(ErrorCode.INTERNAL_ERROR, 'internal error', undefined, true);
}
