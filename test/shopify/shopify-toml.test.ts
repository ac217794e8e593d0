import { readFileSync } from 'node:fs';
import { buildSchema, type GraphQLEnumType } from 'graphql';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { COMPLIANCE_TOPICS, CONSUMED_TOPICS } from '../../src/ingest/shopify/webhook-mapper.ts';
import { SHOPIFY_ADMIN_API_VERSION } from '../../src/shopify/shopify-admin-api.ts';
import { API_TOPICS, pixelSettings, REQUIRED_SCOPES } from '../../src/shopify/shopify-requirements.ts';
import { SHOPIFY_ADMIN_SDL, SHOPIFY_ADMIN_SDL_VERSION } from '../../src/stand-ins/shopify-admin-schema.ts';
import { PIXEL_SETTINGS_DEFINITION } from '../../src/stand-ins/shopify-stand-in.ts';
import { appConfigSchema, webPixelExtensionSchema } from '../support/shopify-toml-schema.ts';

const read = (path: string) => parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
const app = appConfigSchema.parse(read('shopify.app.toml'));
const pixel = webPixelExtensionSchema.parse(read('extensions/reclaim-pixel/shopify.extension.toml'));
const subscriptions = app.webhooks?.subscriptions ?? [];
const topics = subscriptions.flatMap((s) => s.topics ?? []);
const compliance = subscriptions.flatMap((s) => s.compliance_topics ?? []);

describe('shopify.app.toml', () => {
  it('pins the webhook API version Reclaim speaks, the one the stand-in’s schema was written from', () => {
    expect(app.webhooks?.api_version).toBe(SHOPIFY_ADMIN_API_VERSION);
    expect(SHOPIFY_ADMIN_SDL_VERSION).toBe(SHOPIFY_ADMIN_API_VERSION);
  });

  it('asks for exactly the scopes Reclaim documents', () => {
    expect(app.access_scopes?.scopes.split(',').sort()).toEqual(REQUIRED_SCOPES.map((s) => s.handle).sort());
  });

  it('subscribes every topic the webhook mapper consumes, and nothing it ignores', () => {
    expect([...topics, ...compliance].sort()).toEqual([...CONSUMED_TOPICS].sort());
    expect(new Set(topics).size).toBe(topics.length);
    expect(compliance.sort()).toEqual([...COMPLIANCE_TOPICS].sort());
  });

  it('delivers every subscription to Reclaim’s webhook endpoint', () => {
    for (const s of subscriptions) expect(s.uri).toBe('/webhooks/shopify');
  });

  it('subscribes through the API the same topics, each a value of Shopify’s topic enum', () => {
    expect(API_TOPICS.map((t) => t.topic).sort()).toEqual([...topics].sort());
    const topicEnum = buildSchema(SHOPIFY_ADMIN_SDL).getType('WebhookSubscriptionTopic') as GraphQLEnumType;
    const values = topicEnum.getValues().map((v) => v.name);
    for (const { graphql } of API_TOPICS) expect(values).toContain(graphql);
    for (const topic of COMPLIANCE_TOPICS)
      expect(values).not.toContain(topic.replace(/\//g, '_').toUpperCase());
  });
});

describe('extensions/reclaim-pixel/shopify.extension.toml', () => {
  const extension = pixel.extensions[0]!;

  it('targets the pinned API version', () => {
    expect(pixel.api_version).toBe(SHOPIFY_ADMIN_API_VERSION);
  });

  it('declares the settings connect writes, as the stand-in enforces them', () => {
    const fields = extension.settings.fields;
    expect(Object.keys(fields).sort()).toEqual(Object.keys(pixelSettings('https://r.example')).sort());
    expect(Object.keys(fields).sort()).toEqual(Object.keys(PIXEL_SETTINGS_DEFINITION).sort());
    for (const [key, field] of Object.entries(fields)) {
      expect(field.type).toBe(PIXEL_SETTINGS_DEFINITION[key]!.type);
      const min = field.validations?.find((v) => v.name === 'min')?.value;
      expect(min === undefined ? undefined : Number(min)).toBe(PIXEL_SETTINGS_DEFINITION[key]!.min);
    }
  });

  it('loads only with analytics and marketing permission, in the strict sandbox', () => {
    expect(extension.runtime_context).toBe('strict');
    expect(extension.customer_privacy).toMatchObject({ analytics: true, marketing: true });
  });
});
