/**
 * How an HTTP exchange with a receiver becomes a {@link SendResult}: 2xx is
 * delivered; 408, 429 and 5xx are retried (honouring `Retry-After`); any other status
 * is rejected for good; network errors and timeouts are retried; a target refused by
 * the SSRF policy, an invalid URL or too many redirects are rejected.
 */
import { rejected, retry, type SendResult, delivered, describeError } from "../channel.js";
import { HttpRequestError } from "./errors.js";
import type { GuardedHttpClient, HttpRequest, HttpResponse } from "./guarded-http-client.js";

/**
 * Reads a `Retry-After` value: delay seconds (`"120"`) or an HTTP date
 * (`"Wed, 21 Oct 2026 07:28:00 GMT"`), relative to `now` (epoch ms). Returns the delay
 * in ms (0 for a date in the past), or `undefined` when the value is missing or
 * neither form.
 */
export function parseRetryAfter(
  value: string | readonly string[] | undefined,
  now: number,
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (text === undefined || text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The first line of a response body, shortened, for a result's reason. */
export function bodySnippet(body: string, max = 200): string {
  const line = body.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/**
 * Classifies a response. `describe` may turn the body into a better reason (e.g. a
 * Twilio error code); by default the reason is `HTTP <status>: <body snippet>`.
 */
export function outcomeOfResponse(
  response: HttpResponse,
  now: number = Date.now(),
  describe: (response: HttpResponse) => string = defaultReason,
): SendResult {
  const { status } = response;
  if (status >= 200 && status < 300) return delivered(status);
  const reason = describe(response);
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers["retry-after"], now);
    return retry(reason, retryAfterMs === undefined ? { status } : { status, retryAfterMs });
  }
  return rejected(reason, status);
}

function defaultReason(response: HttpResponse): string {
  const snippet = bodySnippet(response.body);
  return `HTTP ${response.status} from ${response.url}${snippet ? `: ${snippet}` : ""}`;
}

/** Classifies a failed exchange (see {@link HttpRequestError.transient}). */
export function outcomeOfError(error: unknown): SendResult {
  if (error instanceof HttpRequestError) {
    return error.transient ? retry(error.message) : rejected(error.message);
  }
  return retry(describeError(error));
}

/**
 * Sends `request` with `client` and classifies what happens; never rejects.
 * `describe` as in {@link outcomeOfResponse}.
 */
export async function exchange(
  client: GuardedHttpClient,
  request: HttpRequest,
  describe?: (response: HttpResponse) => string,
): Promise<SendResult> {
  try {
    const response = await client.request(request);
    return outcomeOfResponse(response, Date.now(), describe);
  } catch (error) {
    return outcomeOfError(error);
  }
}
