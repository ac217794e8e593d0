import { z } from 'zod';
import { isoTime } from '../validation.ts';

/** Segment's per-call limit and batch limit (Segment HTTP Tracking API, "Max request size"). */
export const SEGMENT_MAX_MESSAGE_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;

const idLike = z.union([z.string().min(1).max(512), z.number()]).transform(String);
const record = z.record(z.string(), z.unknown());

export const SEGMENT_TYPES = ['track', 'identify', 'page', 'screen', 'alias', 'group'] as const;
export type SegmentType = (typeof SEGMENT_TYPES)[number];

/** One Segment message, as the HTTP Tracking API accepts it. Unknown fields are allowed and ignored. */
export const segmentMessageSchema = z
  .looseObject({
    type: z.enum(SEGMENT_TYPES),
    messageId: z.string().min(1).max(256).optional(),
    userId: idLike.optional().nullable(),
    anonymousId: idLike.optional().nullable(),
    previousId: idLike.optional(),
    event: z.string().min(1).max(256).optional(),
    name: z.string().max(1024).optional().nullable(),
    category: z.string().max(1024).optional().nullable(),
    properties: record.optional().nullable(),
    traits: record.optional().nullable(),
    context: record.optional().nullable(),
    timestamp: isoTime.optional().nullable(),
    originalTimestamp: isoTime.optional().nullable(),
    sentAt: isoTime.optional().nullable(),
  })
  .superRefine((message, ctx) => {
    if (message.type === 'track' && !message.event) {
      ctx.addIssue({ code: 'custom', message: 'a track call needs an event name', path: ['event'] });
    }
    if (message.type === 'alias') {
      if (!message.previousId)
        ctx.addIssue({ code: 'custom', message: 'an alias call needs previousId', path: ['previousId'] });
      if (!message.userId)
        ctx.addIssue({ code: 'custom', message: 'an alias call needs userId', path: ['userId'] });
    } else if (!message.userId && !message.anonymousId) {
      ctx.addIssue({ code: 'custom', message: 'userId or anonymousId is required', path: ['userId'] });
    }
  });
export type SegmentMessage = z.output<typeof segmentMessageSchema>;

export const segmentBatchSchema = z.looseObject({
  batch: z
    .array(z.unknown(), { error: 'batch must be an array of messages' })
    .min(1, 'batch is empty')
    .max(2500),
  writeKey: z.string().optional(),
  sentAt: isoTime.optional().nullable(),
  context: record.optional().nullable(),
});
