import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

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
  /**
   * `json`: one JSON object a line. `pretty`: one readable, coloured line per entry with its fields
   * below. `auto` (default): pretty when the destination is a terminal, JSON otherwise (`RECLAIM_LOG_FORMAT`).
   */
  format?: 'auto' | 'pretty' | 'json';
  /** Where lines go; stdout when omitted. Tests pass a stream to read what was logged. */
  destination?: DestinationStream;
  /** Whether the destination is a terminal; defaults to whether stdout is, when writing to stdout. */
  tty?: boolean;
}

/**
 * The structured logger every component receives. It never carries email, phone, IP or tokens: fields
 * are redacted before a line is formatted, so the pretty format shows the same redacted fields.
 */
export function createLogger(options: LoggerOptions): Logger {
  const tty = options.tty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const pretty = options.format === 'pretty' || ((options.format ?? 'auto') === 'auto' && tty);
  const destination = pretty
    ? PinoPretty({
        destination: options.destination ?? 1,
        colorize: tty,
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,service',
      })
    : options.destination;
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
    destination,
  );
}
