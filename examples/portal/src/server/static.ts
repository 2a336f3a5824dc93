import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

/** Content types of the files a Vite build writes. */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Headers of every page: no framing, no sniffing, scripts and styles from this origin only. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** The content type of a file name, `application/octet-stream` when unknown. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Serves a built single-page app from `root`: files with their content types (hashed `assets/`
 * cached for a year), `index.html` for any other path without a file extension, 404 otherwise
 * (source maps included).
 */
export function createStaticHandler(root: string): (request: Request) => Promise<Response> {
  const base = normalize(root).replace(/[\\/]+$/, '') + sep;

  async function file(relative: string): Promise<{ path: string; body: Uint8Array<ArrayBuffer> } | null> {
    const path = normalize(join(base, relative));
    if (!path.startsWith(base)) return null;
    try {
      if (!(await stat(path)).isFile()) return null;
      return { path, body: await readFile(path) };
    } catch {
      return null;
    }
  }

  function respond(
    request: Request,
    status: number,
    body: Uint8Array<ArrayBuffer> | string,
    headers: HeadersInit,
  ) {
    const all = new Headers({ ...PAGE_HEADERS, ...Object.fromEntries(new Headers(headers)) });
    return new Response(request.method === 'HEAD' ? null : body, { status, headers: all });
  }

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return respond(request, 405, 'Method not allowed', {
        Allow: 'GET, HEAD',
        'Content-Type': 'text/plain; charset=utf-8',
      });
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return respond(request, 400, 'Bad request', { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    if (pathname.includes('\0')) {
      return respond(request, 400, 'Bad request', { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    // Source maps are never served, even when a build left some behind: they publish the sources.
    const found = pathname.endsWith('/') || extname(pathname) === '.map' ? null : await file(pathname);
    if (found) {
      const immutable = pathname.startsWith('/assets/');
      return respond(request, 200, found.body, {
        'Content-Type': contentTypeOf(found.path),
        'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
    // A path that names a file that is not there is a 404; any other path is a page of the app.
    if (extname(pathname) !== '') {
      return respond(request, 404, 'Not found', { 'Content-Type': 'text/plain; charset=utf-8' });
    }
    const index = await file('index.html');
    if (!index) {
      return respond(request, 500, 'The portal has not been built (index.html is missing)', {
        'Content-Type': 'text/plain; charset=utf-8',
      });
    }
    return respond(request, 200, index.body, {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-cache',
    });
  };
}
