import Fastify, { type FastifyInstance } from 'fastify';
import { ApiError } from '../../src/http/errors/api-error.ts';

/**
 * A bare Fastify app with one route, `GET|POST|OPTIONS /`, answering `{ ok: true }`, that turns an
 * `ApiError` into its status, headers and body as `buildApp` does; `configure` adds the hooks under test.
 */
export async function edgeApp(configure: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((error, _req, reply) => {
    if (!(error instanceof ApiError)) throw error;
    void reply.status(error.status).headers(error.headers).send(error.toBody());
  });
  configure(app);
  app.route({ method: ['GET', 'POST', 'OPTIONS'], url: '/', handler: () => ({ ok: true }) });
  await app.ready();
  return app;
}
