/** The URL of a node:http request, as the WHATWG URL parser resolves its target against its Host. */
export interface ResolvedTarget {
  href: string;
  pathname: string;
  /** `?…`, or empty for none (an empty `?` too), as `URL#search`. */
  search: string;
}

/**
 * A target the URL parser leaves as it is: an origin-form path (not `//…`, which names another
 * host) of characters it neither encodes nor changes, and no dot segment or escaped dot it resolves.
 */
const PLAIN_TARGET = /^\/(?!\/)[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*$/;
const DOT_SEGMENT = /\/\.|%2e/i;

/**
 * A Host the URL parser leaves as it is: lower-case labels whose last starts with a letter (a
 * numeric one would be read as an IPv4 address), or a dotted quad in its shortest form; a port
 * without leading zeros. IDNA labels (`xn--`) and anything else go through the parser.
 */
const PLAIN_NAME = /^(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*$/;
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const PLAIN_IPV4 = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}$`);
const PORT = /^[1-9]\d{0,4}$/;

function plainHost(host: string, encrypted: boolean): boolean {
  const colon = host.indexOf(':');
  const name = colon === -1 ? host : host.slice(0, colon);
  if (!(PLAIN_NAME.test(name) || PLAIN_IPV4.test(name)) || name.includes('xn--')) return false;
  if (colon === -1) return true;
  const port = host.slice(colon + 1);
  // The parser drops the scheme's default port.
  return PORT.test(port) && Number(port) <= 65535 && port !== (encrypted ? '443' : '80');
}

/**
 * The URL of a request target on a Host, or `null` where a Fetch `Request` would refuse it (a bad
 * Host, credentials in it). The usual target (`/api/licenses/SEN-1`) is taken as it is; any other
 * goes through the URL parser, so both answer the same.
 */
export function resolveTarget(
  target: string,
  host: string | undefined,
  encrypted: boolean,
): ResolvedTarget | null {
  const scheme = encrypted ? 'https' : 'http';
  if (host !== undefined && plainHost(host, encrypted) && PLAIN_TARGET.test(target)) {
    const question = target.indexOf('?');
    const pathname = question === -1 ? target : target.slice(0, question);
    if (!DOT_SEGMENT.test(pathname)) {
      const search = question === -1 || question === target.length - 1 ? '' : target.slice(question);
      return { href: `${scheme}://${host}${target}`, pathname, search };
    }
  }
  try {
    const url = new URL(target, `${scheme}://${host ?? 'localhost'}`);
    // A Host with credentials (`a@b`) is no host: a Fetch Request refuses such a URL.
    if (url.username !== '' || url.password !== '') return null;
    return { href: url.href, pathname: url.pathname, search: url.search };
  } catch {
    return null;
  }
}
