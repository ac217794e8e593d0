import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import path from 'node:path';

/** The fixture sites: one folder per host name (`sites/www.northwind-outfitters.com/…`). */
export const SITES_DIR = path.resolve(import.meta.dirname, 'fixtures/sites');
const TLS_DIR = path.resolve(import.meta.dirname, 'fixtures/tls');

/** Chromium flags of the fixture browser: the fixture server's certificate is self-signed. */
export const FIXTURE_BROWSER_ARGS = ['--ignore-certificate-errors'];

/** Every host name resolves to the fixture server: nothing a fixture page asks for leaves the machine. */
export const FIXTURE_HOSTS = ['*'];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
};

export interface FixtureServer {
  port: number;
  /** `http://HOST:PORT/PATH` */
  url(host: string, pathname?: string): string;
  /** From now on, answers `host` + `pathname` with the file at `target` (a site that changed). */
  serveAs(host: string, pathname: string, target: string): void;
  close(): Promise<void>;
}

/**
 * Serves `sites/<Host header>/<path>` on a loopback port, with `{{PORT}}` in pages and scripts replaced by
 * the port. A sibling `<file>.cookies` holds Set-Cookie lines sent with the file. `/_shared/…` is served on
 * every host. Missing paths answer 204, as a tracker's collection endpoint does. Two paths misbehave on
 * purpose: `/__loop` redirects to itself, `/__hang` never answers.
 */
export async function startFixtureServer(
  /** Pages made on the fly (the benchmark's catalogue): a body for host and path, or undefined. */
  generate?: (host: string, pathname: string) => string | undefined,
): Promise<FixtureServer> {
  const aliases = new Map<string, string>();
  const handler: RequestListener = (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const asked = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const pathname = aliases.get(`${host}${asked}`) ?? asked;
    if (pathname === '/__loop') {
      res.writeHead(302, { location: '/__loop' }).end();
      return;
    }
    if (pathname === '/__hang') return;
    const made = generate?.(host, pathname);
    if (made !== undefined) {
      res.writeHead(200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-store' });
      res.end(made.replaceAll('{{PORT}}', String(port)));
      return;
    }
    const base = pathname.startsWith('/_shared/') ? SITES_DIR : path.join(SITES_DIR, host);
    let file = path.join(base, pathname);
    if (!file.startsWith(SITES_DIR)) {
      res.writeHead(400).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(204, { 'cache-control': 'no-store' }).end();
      return;
    }
    const headers: Record<string, string | string[]> = {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    };
    if (existsSync(`${file}.cookies`))
      headers['set-cookie'] = readFileSync(`${file}.cookies`, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '');
    const body = readFileSync(file, 'utf8').replaceAll('{{PORT}}', String(port));
    res.writeHead(200, headers).end(body);
  };
  // Chromium upgrades hosts on its HSTS preload list (facebook.net, doubleclick.net…) to https on the same
  // port, so the port speaks both: a TLS handshake goes to the https server, anything else to http. The
  // certificate is self-signed; the fixture browser is started with --ignore-certificate-errors.
  const http = createHttpServer(handler);
  const https = createHttpsServer(
    { key: readFileSync(path.join(TLS_DIR, 'key.pem')), cert: readFileSync(path.join(TLS_DIR, 'cert.pem')) },
    handler,
  );
  const server = createNetServer((socket) => {
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return;
      socket.unshift(first);
      (first[0] === 0x16 ? https : http).emit('connection', socket);
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (host, pathname = '/') => `http://${host}:${port}${pathname}`,
    serveAs: (host, pathname, target) => aliases.set(`${host}${pathname}`, target),
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        https.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
