// A1111's error responses (`modules/api/api.py: api_middleware.handle_exception`): every exception becomes
// `{"error": <exception class>, "detail": ..., "body": ..., "errors": str(e)}` with the exception's status code
// (500 for anything that is not an HTTPException); FastAPI's own request validation answers 422 with a pydantic
// `detail` list. Daemon errors are mapped to the status A1111 gives the same fault.
import { BackendLostError, CancelledError, RpcError } from '../errors';
import { ErrorCodes } from '../protocol';
import { RequestValidationError } from './fields';

/** FastAPI's HTTPException: a status code and a detail string. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HTTPException';
  }
}

export interface ErrorResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const shape = (status: number, error: string, detail: string, errors: string): ErrorResponse => ({
  status,
  body: { error, detail, body: '', errors },
});

/** Any thrown value → the status and JSON body A1111 would send. */
export function errorResponse(e: unknown): ErrorResponse {
  if (e instanceof HttpError) return { ...shape(e.status, 'HTTPException', e.detail, `${e.status}: ${e.detail}`), headers: e.headers };
  if (e instanceof RequestValidationError) return { status: 422, body: { detail: e.errors } };
  if (e instanceof RpcError) {
    // Field and file errors are the client's (422/404); a model or image that cannot be read is A1111's 500.
    switch (e.code) {
      case ErrorCodes.InvalidParams:
        return shape(422, 'HTTPException', e.message, `422: ${e.message}`);
      case ErrorCodes.NotFound:
        return shape(404, 'HTTPException', e.message, `404: ${e.message}`);
      case ErrorCodes.ImageError:
        return shape(500, 'HTTPException', `Invalid encoded image: ${e.message}`, `500: Invalid encoded image: ${e.message}`);
      default:
        return shape(500, 'RuntimeError', '', e.message);
    }
  }
  if (e instanceof CancelledError) return shape(500, 'InterruptedError', '', 'the job was cancelled');
  if (e instanceof BackendLostError) return shape(500, 'ConnectionError', '', e.message);
  const name = e instanceof Error && e.name !== 'Error' ? e.name : 'RuntimeError';
  return shape(500, name, '', e instanceof Error ? e.message : String(e));
}
