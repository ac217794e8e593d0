import { createHash } from 'node:crypto';
import type { Conversion } from '../kit/destination.ts';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Meta's `user_data`: contact details normalised as Meta's customer information parameters require and
 * SHA-256 hashed (email trimmed and lower-cased; phone as digits with country code, no `+`; country as
 * lower-case ISO alpha-2; the customer id hashed as recommended); IP, user agent, `fbc` and `fbp` in
 * clear, as Meta requires.
 */
export function userData(conversion: Conversion): Record<string, unknown> {
  const { email, phone, customerId, country } = conversion;
  return {
    ...(email && { em: [sha256(email.trim().toLowerCase())] }),
    ...(phone && { ph: [sha256(phone.replace(/\D/g, ''))] }),
    ...(customerId && { external_id: [sha256(customerId)] }),
    ...(country && { country: [sha256(country.toLowerCase())] }),
    ...(conversion.ip && { client_ip_address: conversion.ip }),
    ...(conversion.userAgent && { client_user_agent: conversion.userAgent }),
    ...(conversion.fbc && { fbc: conversion.fbc }),
    ...(conversion.fbp && { fbp: conversion.fbp }),
  };
}
