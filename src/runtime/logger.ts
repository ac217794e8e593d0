import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log line, at any of the depths Reclaim logs objects. Logs carry ids
 * and counts; these paths are the safety net for a mistake, not the plan.
 */
const PII_KEYS = [
  'email',
  'phone',
  'ip',
  'clientIp',
  'remoteAddress',
  'token',
  'cartToken',
  'checkoutToken',
  'authorization',
  'writeKey',
  'apiKey',
  'adminToken',
  'secret',
  'password',
  'userAgent',
  'address',
];
const REDACT_PATHS = [
  ...PII_KEYS,
  ...PII_KEYS.map((k) => `*.${k}`),
  ...PII_KEYS.map((k) => `*.*.${k}`),
  'req.headers',
  'headers',
  'body',
  '*.body',
];

export interface LoggerOptions {
  level: string;
  /** Where lines go; stdout when omitted. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
}

/** The structured JSON logger every component receives. It never carries email, phone, IP or tokens. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'reclaim' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        err: pino.stdSerializers.err,
        req: (req: { method?: string; url?: string; id?: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    options.destination,
  );
}
