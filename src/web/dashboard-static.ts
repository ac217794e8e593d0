import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { apiError } from '../http/errors/api-error.ts';

/** Where `npm run build:dashboard` writes the bundle. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

/**
 * The page may load only what this server serves; it talks only to this server; no other site may frame
 * it (clickjacking the erase button).
 */
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * `GET /` and its assets. Built files only: a server started without a build answers `/` with a 503 page
 * that says how to build, instead of a blank page.
 */
export const dashboardStatic: FastifyPluginAsync<{ dir?: string }> = async (app, options) => {
  const dir = options.dir ?? DASHBOARD_DIR;
  if (!existsSync(`${dir}/index.html`)) {
    app.get('/', (_req, reply) => {
      const error = apiError(
        'RECLAIM_ERR_DASHBOARD_NOT_BUILT',
        'The dashboard is not built: run npm run build:dashboard (npm install does it too), then reload.',
      );
      const json = (reply.request.headers.accept ?? '').includes('application/json');
      void reply.status(error.status);
      if (json) return reply.send(error.toBody());
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="en"><meta charset="utf-8"><title>Reclaim: dashboard not built</title>` +
            `<body style="font-family:system-ui;margin:3rem"><h1>The dashboard is not built</h1>` +
            `<p>Run <code>npm run build:dashboard</code> (or <code>npm install</code>) and reload.</p>` +
            `<p><code>${error.code}</code></p></body></html>`,
        );
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    setHeaders: (res, path) => {
      res.setHeader('content-security-policy', CSP);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
      // Vite names assets by content hash: they never change under one name.
      res.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
};
