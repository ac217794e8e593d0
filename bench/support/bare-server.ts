// Baseline for the ingest benchmark: the HTTP stack alone. Parses the JSON body and answers 200.
import Fastify from 'fastify';

const app = Fastify({ bodyLimit: 1_048_576 });
app.get('/healthz', () => ({ status: 'ok' }));
app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
  try {
    done(null, JSON.parse(body as string));
  } catch (error) {
    done(error as Error, undefined);
  }
});
const answer = () => ({ success: true });
app.post('/v1/pixel', answer);
app.post('/v1/batch', answer);
app.post('/v1/consent', answer);
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
