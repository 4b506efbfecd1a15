import { ErrorCodes, type ErrorData } from './protocol';

/**
 * An error that reaches the client as a JSON-RPC error with a code from protocol.ts and `data` naming the
 * field or file at fault. Everything else thrown inside a handler becomes JobFailed with its message.
 */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: ErrorData = {},
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

const expecting = (expected?: string): string => (expected ? ` (expected ${expected})` : '');

export const invalidParam = (field: string, message: string, expected?: string): RpcError =>
  new RpcError(ErrorCodes.InvalidParams, `${field}: ${message}${expecting(expected)}`, { field, ...(expected ? { expected } : {}) });

export const modelError = (file: string, message: string, expected?: string): RpcError =>
  new RpcError(ErrorCodes.ModelError, `${file}: ${message}${expecting(expected)}`, { file, ...(expected ? { expected } : {}) });

export const imageError = (file: string, message: string): RpcError =>
  new RpcError(ErrorCodes.ImageError, `${file}: ${message}`, { file });

export const notFound = (file: string, what: string): RpcError =>
  new RpcError(ErrorCodes.NotFound, `${what} not found: ${file}`, { file });

/** Thrown when a job's AbortSignal fires; mapped to the Cancelled code. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * A remote backend went away while running a job (connection refused or reset, server gone): the job queue tries
 * the job once on another backend before reporting it failed.
 */
export class BackendLostError extends Error {
  constructor(
    readonly backend: string,
    message: string,
  ) {
    super(`backend "${backend}": ${message}`);
    this.name = 'BackendLostError';
  }
}
