import { z } from 'zod';

/** Shopify ids: numbers in webhooks (18-digit ones arrive as exact strings from the JSON parser). */
const shopifyId = z.union([z.number().int().positive(), z.string().regex(/^\d{1,30}$/)], {
  error: 'must be a Shopify id',
});
const optionalText = z.string().max(4096).nullable().optional();
const money = z.union([z.string(), z.number()]).nullable().optional();
const address = z
  .looseObject({ country_code: optionalText, province_code: optionalText })
  .nullable()
  .optional();
const lineItems = z
  .array(
    z.looseObject({
      product_id: shopifyId.nullable().optional(),
      variant_id: shopifyId.nullable().optional(),
      sku: optionalText,
      title: optionalText,
      variant_title: optionalText,
      quantity: z.number().int().min(0),
      price: money,
      line_price: money,
    }),
  )
  .max(1000)
  .optional();
const customer = z
  .looseObject({
    id: shopifyId.nullable().optional(),
    email: optionalText,
    phone: optionalText,
    default_address: address,
  })
  .nullable()
  .optional();
const time = z.string().max(64).nullable().optional();

export const cartWebhookSchema = z.looseObject({
  id: z.string().min(1).max(256).optional(),
  token: z.string().min(1).max(256).optional(),
  line_items: lineItems,
  created_at: time,
  updated_at: time,
});

export const checkoutWebhookSchema = z.looseObject({
  id: shopifyId.optional(),
  token: z.string().min(1).max(256).nullable().optional(),
  cart_token: z.string().max(256).nullable().optional(),
  email: optionalText,
  phone: optionalText,
  sms_marketing_phone: optionalText,
  buyer_accepts_marketing: z.boolean().nullable().optional(),
  buyer_accepts_sms_marketing: z.boolean().nullable().optional(),
  abandoned_checkout_url: optionalText,
  line_items: lineItems,
  total_price: money,
  currency: optionalText,
  presentment_currency: optionalText,
  customer_locale: optionalText,
  created_at: time,
  updated_at: time,
  completed_at: time,
  shipping_address: address,
  billing_address: address,
  customer,
});

export const orderWebhookSchema = z.looseObject({
  id: shopifyId,
  checkout_token: z.string().max(256).nullable().optional(),
  cart_token: z.string().max(256).nullable().optional(),
  email: optionalText,
  contact_email: optionalText,
  phone: optionalText,
  buyer_accepts_marketing: z.boolean().nullable().optional(),
  line_items: lineItems,
  total_price: money,
  currency: optionalText,
  created_at: time,
  processed_at: time,
  cancelled_at: time,
  updated_at: time,
  shipping_address: address,
  billing_address: address,
  customer,
});

export const customerWebhookSchema = z.looseObject({
  id: shopifyId,
  email: optionalText,
  phone: optionalText,
  created_at: time,
  updated_at: time,
  default_address: address,
});

export const emailConsentWebhookSchema = z.looseObject({
  customer_id: shopifyId,
  email_address: optionalText,
  email_marketing_consent: z.looseObject({
    state: z.string().max(64).nullable().optional(),
    opt_in_level: z.string().max(64).nullable().optional(),
    consent_updated_at: time,
  }),
});

export const smsConsentWebhookSchema = z.looseObject({
  id: shopifyId,
  phone: optionalText,
  sms_marketing_consent: z
    .looseObject({
      state: z.string().max(64).nullable().optional(),
      opt_in_level: z.string().max(64).nullable().optional(),
      consent_updated_at: time,
      consent_collected_from: z.string().max(64).nullable().optional(),
    })
    .nullable()
    .optional(),
});

const complianceCustomer = z.looseObject({
  id: shopifyId.nullable().optional(),
  email: optionalText,
  phone: optionalText,
});

export const customerRedactSchema = z.looseObject({
  shop_domain: z.string().max(255).optional(),
  customer: complianceCustomer,
  orders_to_redact: z.array(shopifyId).max(100_000).optional(),
});

export const dataRequestSchema = z.looseObject({
  shop_domain: z.string().max(255).optional(),
  customer: complianceCustomer,
  orders_requested: z.array(shopifyId).max(100_000).optional(),
  data_request: z.looseObject({ id: shopifyId }).optional(),
});

export const shopRedactSchema = z.looseObject({ shop_domain: z.string().max(255).optional() });
