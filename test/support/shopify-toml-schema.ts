import { z } from 'zod';

/**
 * `shopify.app.toml` as Shopify documents it in "App configuration"
 * (https://shopify.dev/docs/apps/build/cli-for-apps/app-configuration): the global keys, `access_scopes`,
 * `auth`, `webhooks` with `api_version` and `subscriptions` (`topics`, `compliance_topics`, `uri`,
 * `include_fields`, `filter`), `pos`, `build`. Sections are strict, so a misspelt key fails here
 * rather than at `shopify app deploy`.
 */
const subscription = z
  .strictObject({
    topics: z
      .array(z.string().regex(/^[a-z_]+\/[a-z_]+(\/[a-z_]+)?$/))
      .min(1)
      .optional(),
    compliance_topics: z
      .array(z.enum(['customers/data_request', 'customers/redact', 'shop/redact']))
      .min(1)
      .optional(),
    /** An https URL, a path relative to `application_url`, a Pub/Sub address or an EventBridge ARN. */
    uri: z.string().regex(/^(https:\/\/|\/|pubsub:\/\/|arn:aws:events:)/),
    include_fields: z.array(z.string()).optional(),
    filter: z.string().optional(),
  })
  .refine(
    (s) => s.topics !== undefined || s.compliance_topics !== undefined,
    'needs topics or compliance_topics',
  );

export const appConfigSchema = z.strictObject({
  name: z.string().min(1),
  client_id: z.string().min(1),
  application_url: z.url({ protocol: /^https$/ }),
  embedded: z.boolean(),
  handle: z.string().optional(),
  access_scopes: z
    .strictObject({
      scopes: z.string().regex(/^[a-z_]+(,[a-z_]+)*$/, 'comma-separated scope handles without spaces'),
      optional_scopes: z.array(z.string()).optional(),
      use_legacy_install_flow: z.boolean().optional(),
    })
    .optional(),
  auth: z.strictObject({ redirect_urls: z.array(z.url()) }).optional(),
  webhooks: z
    .strictObject({
      api_version: z.string().regex(/^\d{4}-(01|04|07|10)$/, 'a stable version such as 2025-10'),
      subscriptions: z.array(subscription).optional(),
    })
    .optional(),
  pos: z.strictObject({ embedded: z.boolean() }).optional(),
  build: z
    .strictObject({
      automatically_update_urls_on_dev: z.boolean().optional(),
      dev_store_url: z.string().optional(),
      include_config_on_deploy: z.boolean().optional(),
    })
    .optional(),
});

/**
 * A web pixel extension's `shopify.extension.toml`, from "Build web pixels"
 * (https://shopify.dev/docs/apps/build/marketing-analytics/build-web-pixels: `type`, `runtime_context`,
 * `settings` with typed `fields` and `validations`) and "Pixel privacy"
 * (https://shopify.dev/docs/api/web-pixels-api/pixel-privacy: `customer_privacy` with `analytics`,
 * `marketing`, `preferences` booleans and `sale_of_data` `enabled` | `disabled` | `ldu`).
 */
const settingField = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  type: z.enum([
    'single_line_text_field',
    'multi_line_text_field',
    'number_integer',
    'number_decimal',
    'boolean',
  ]),
  validations: z.array(z.strictObject({ name: z.string(), value: z.string() })).optional(),
});

export const webPixelExtensionSchema = z.strictObject({
  api_version: z.string().regex(/^\d{4}-(01|04|07|10)$/),
  extensions: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        handle: z.string().regex(/^[a-z0-9-]+$/),
        type: z.literal('web_pixel_extension'),
        runtime_context: z.enum(['strict', 'lax']),
        customer_privacy: z.strictObject({
          analytics: z.boolean(),
          marketing: z.boolean(),
          preferences: z.boolean(),
          sale_of_data: z.enum(['enabled', 'disabled', 'ldu']),
        }),
        settings: z.strictObject({
          type: z.literal('object'),
          fields: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), settingField),
        }),
      }),
    )
    .length(1),
});
