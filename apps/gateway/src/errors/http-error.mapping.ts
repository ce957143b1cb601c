import { HttpException } from '@nestjs/common';
import { ERROR_STATUS, ErrorCode, GatehouseError, type ErrorBody } from '@gatehouse/contracts';

export interface HttpErrorAnswer {
  status: number;
  body: ErrorBody;
  /** A bug (or an unknown failure): logged with its stack, answered 500. */
  unexpected: boolean;
}

/** body-parser (via http-errors) tags its failures with a `type`; Nest keeps the original as `cause`. */
const BODY_PARSER_CODES: Record<string, { code: ErrorCode; message: string }> = {
  'entity.parse.failed': { code: ErrorCode.INVALID_JSON, message: 'the body is not valid JSON' },
  'entity.too.large': { code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'the body is larger than the configured limit' },
  'encoding.unsupported': { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'unsupported content encoding' },
  'charset.unsupported': { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE, message: 'unsupported charset; send UTF-8 JSON' },
  'request.aborted': { code: ErrorCode.VALIDATION_FAILED, message: 'the request body was aborted' },
  'request.size.invalid': { code: ErrorCode.VALIDATION_FAILED, message: 'the body does not match its Content-Length' },
};

function bodyParserType(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 3; e = (e as { cause?: unknown }).cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && type in BODY_PARSER_CODES) return type;
  }
  return undefined;
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

/** The code for an HttpException thrown by Nest or Express itself (not by our own code). */
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
  const parserType = bodyParserType(exception);
  if (parserType) {
    const { code, message } = BODY_PARSER_CODES[parserType];
    return answer(code, message);
  }
  if (exception instanceof HttpException) {
    const code = codeForStatus(exception.getStatus());
    const message = code === ErrorCode.INTERNAL_ERROR ? 'internal error' : httpExceptionMessage(exception);
    return answer(code, message, undefined, code === ErrorCode.INTERNAL_ERROR);
  }
  return answer(ErrorCode.INTERNAL_ERROR, 'internal error', undefined, true);
}
