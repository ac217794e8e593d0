import type { CanonicalEvent } from '../../event-log/canonical-event.ts';
import { asDict } from '../fields.ts';
import type { RequestSignals } from '../request-signals.ts';
import { parseBody, parseShape } from '../validation.ts';
import { mapPixelEvent } from './pixel-mapper.ts';
import { pixelBodySchema, pixelEventSchema } from './pixel-schema.ts';

/** The canonical events of one pixel request. Throws a 4xx `ApiError` for anything malformed. */
export function pixelEvents(
  body: unknown,
  signals: RequestSignals,
  bannerWordingVersion: string,
): CanonicalEvent[] {
  const parsed = parseBody(pixelBodySchema, body);
  const envelope = { signals, body: parsed, bannerWordingVersion };
  return parsed.events.map((raw, index) =>
    mapPixelEvent(parseShape(pixelEventSchema, asDict(raw), `events.${index}`), envelope),
  );
}
