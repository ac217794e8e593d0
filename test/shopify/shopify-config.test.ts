import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskSecrets } from '../../src/config/load-config.ts';

const load = (env: Record<string, string>) =>
  loadConfig({ env: { RECLAIM_DATABASE_URL: 'sqlite::memory:', ...env } });

describe('Shopify connection settings', () => {
  it('reads the shop, token, Admin API origin and public URL, and masks the token', () => {
    const config = load({
      SHOPIFY_SHOP: ' Northwind-Demo.myshopify.com ',
      SHOPIFY_ADMIN_TOKEN: 'shpat_secret_value',
      SHOPIFY_ADMIN_BASE_URL: 'http://127.0.0.1:4010/',
      RECLAIM_PUBLIC_URL: 'https://reclaim.northwind.example/',
    });
    expect(config.shopify).toMatchObject({
      shop: 'northwind-demo.myshopify.com',
      adminToken: 'shpat_secret_value',
      adminBaseUrl: 'http://127.0.0.1:4010',
    });
    expect(config.publicUrl).toBe('https://reclaim.northwind.example');
    const shown = JSON.stringify(maskSecrets(config));
    expect(shown).not.toContain('shpat_secret_value');
    expect(shown).toContain('northwind-demo.myshopify.com');
  });

  it('refuses a shop that is not a myshopify.com domain, and a public URL that is not one', () => {
    expect(() => load({ SHOPIFY_SHOP: 'shop.northwind.example' })).toThrow(
      /SHOPIFY_SHOP \(shopify.shop\) must be the store’s myshopify.com domain/,
    );
    expect(() => load({ RECLAIM_PUBLIC_URL: 'reclaim.northwind.example' })).toThrow(ConfigError);
  });
});
