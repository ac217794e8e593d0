import type { ErasureStep } from '../../identity/erasure.ts';

/**
 * `shop/redact`: forgets which webhooks were received. The rows name no shopper, so erasing one shopper
 * leaves them.
 */
export const eraseWebhookDeliveries: ErasureStep = async (trx, scope): Promise<Record<string, number>> => {
  if (!scope.all) return {};
  const deleted = await trx.deleteFrom('webhook_deliveries').executeTakeFirst();
  return { webhook_deliveries: Number(deleted.numDeletedRows) };
};
