/** Options of `createSameOriginCheck` (and the same-named options of `createHttpHandler`). */
export interface SameOriginOptions {
  /** Origins (e.g. `https://portal.example.com`) besides the addressed one that may send mutations. */
  allowedOrigins?: Iterable<string>;
  /**
   * Read the addressed host and scheme from `X-Forwarded-Host` and `X-Forwarded-Proto` (set by your
   * proxy) instead of `Host` and the request's scheme; default false. Only turn it on behind a proxy
   * that sets them, or anyone can choose the origin a request is compared with.
   */
  trustProxy?: boolean;
}

/** Says whether a state-changing request comes from the site it addresses (or an allowed origin). */
export interface SameOriginCheck {
  /**
   * False for a request a browser marks `Sec-Fetch-Site: cross-site`, or whose `Origin` is not the
   * origin the browser addressed (nor in `allowedOrigins`); true for one with neither header (a
   * server-side client).
   */
  (request: Request): boolean;
  /** Whether `origin` is one of `allowedOrigins`. */
  allows(origin: string | null): boolean;
}

/** The first value of a header that proxies may repeat or list (`a, b`). */
function firstValue(header: string | null): string | undefined {
  const value = header?.split(',', 1)[0]?.trim();
  return value === '' ? undefined : value;
}

/** The `host[:port]` a request addressed, canonical for `scheme` (default port dropped, IDN in ASCII). */
function addressedHost(request: Request, scheme: string, trustProxy: boolean): string | null {
  const forwarded = trustProxy ? firstValue(request.headers.get('x-forwarded-host')) : undefined;
  // A Fetch runtime may leave `Host` out; then the URL it built is all there is.
  const host = forwarded ?? firstValue(request.headers.get('host')) ?? safeUrl(request.url)?.host;
  if (host === undefined || /[/?#@\\\s]/.test(host)) return null;
  return safeUrl(`${scheme}//${host}`)?.host ?? null;
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * The same-origin check of state-changing requests (CSRF): `Origin` is compared with the host the
 * browser addressed (`Host`, or `X-Forwarded-Host` with `trustProxy`), never with `request.url`,
 * which frameworks rewrite and an absolute request target chooses. An `https` origin may reach a
 * server that sees plain `http` (a proxy ended TLS); an `http` origin never reaches an `https` one.
 * @example
 * const sameOrigin = createSameOriginCheck({ allowedOrigins: ['https://shop.example.com'] });
 * if (request.method === 'POST' && !sameOrigin(request)) return new Response(null, { status: 403 });
 */
export function createSameOriginCheck(options: SameOriginOptions = {}): SameOriginCheck {
  const trustProxy = options.trustProxy === true;
  const allowed = new Set([...(options.allowedOrigins ?? [])].map((origin) => origin.replace(/\/+$/, '')));
  const allows = (origin: string | null) => origin !== null && allowed.has(origin);

  const check = (request: Request): boolean => {
    const origin = request.headers.get('origin');
    if (allows(origin)) return true;
    if (request.headers.get('sec-fetch-site') === 'cross-site') return false;
    if (origin === null) return true;
    const from = safeUrl(origin);
    if (!from || (from.protocol !== 'https:' && from.protocol !== 'http:') || from.origin !== origin) {
      return false; // `null`, another scheme, or not an origin at all
    }
    const forwardedProto = trustProxy ? firstValue(request.headers.get('x-forwarded-proto')) : undefined;
    const scheme = forwardedProto === undefined ? safeUrl(request.url)?.protocol : `${forwardedProto}:`;
    if (scheme === 'https:' && from.protocol !== 'https:') return false;
    return addressedHost(request, from.protocol, trustProxy) === from.host;
  };
  return Object.assign(check, { allows });
}
