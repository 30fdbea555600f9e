/**
 * The errors of the guarded HTTP client. Each names the target (scheme, host and
 * path, never a query string, which may hold a token) and what went wrong.
 */

/** Base class: a request that did not produce a response. */
export class HttpRequestError extends Error {
  override readonly name: string = "HttpRequestError";
  /** True when trying again later may succeed (network errors, timeouts). */
  readonly transient: boolean;
  constructor(message: string, transient: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.transient = transient;
  }
}

/** The target (or a redirect's target) is refused by the SSRF policy. */
export class TargetRefusedError extends HttpRequestError {
  override readonly name = "TargetRefusedError";
  constructor(message: string) {
    super(message, false);
  }
}

/** The URL is not an http(s) URL, or a redirect has no usable location. */
export class InvalidTargetError extends HttpRequestError {
  override readonly name = "InvalidTargetError";
  constructor(message: string) {
    super(message, false);
  }
}

/** More redirects than the configured limit. */
export class TooManyRedirectsError extends HttpRequestError {
  override readonly name = "TooManyRedirectsError";
  constructor(message: string) {
    super(message, false);
  }
}

/** No complete response within the timeout. */
export class HttpTimeoutError extends HttpRequestError {
  override readonly name = "HttpTimeoutError";
  constructor(message: string) {
    super(message, true);
  }
}

/** The caller's signal aborted the request. */
export class HttpAbortedError extends HttpRequestError {
  override readonly name = "HttpAbortedError";
  constructor(message: string) {
    super(message, true);
  }
}

/** Connection refused or reset, DNS failure, TLS failure, …: `cause` holds the original. */
export class HttpNetworkError extends HttpRequestError {
  override readonly name = "HttpNetworkError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/**
 * The URL as it may appear in messages and logs: never credentials, query or fragment;
 * the path only when it is not secret (a Slack webhook's path is its secret).
 */
export function redactUrl(url: URL, secretPath = false): string {
  if (secretPath) return `${url.protocol}//${url.host}/…`;
  const path = url.pathname.length > 60 ? `${url.pathname.slice(0, 60)}…` : url.pathname;
  return `${url.protocol}//${url.host}${path}`;
}
