import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, misspeltVariableWarnings } from '../../src/config/load-config.ts';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reclaim-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (value: unknown) => {
    const path = join(dir, 'c.json');
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };

  it('has working defaults with no file and no environment', () => {
    const config = loadConfig({ env: {} });
    expect(config.databaseUrl).toBe('sqlite:./data/reclaim.sqlite');
    expect(config.port).toBe(8080);
    expect(config.writeKeys).toEqual([]);
    expect(config.identity.lookback).toBe(100 * 86_400_000);
    expect(config.geo).toEqual({ countryHeader: 'cf-ipcountry', regionHeader: 'cf-region-code' });
  });

  it('lets the environment win over the file', () => {
    const path = file({ port: 9000, journeys: { cartAfter: '2h' } });
    const config = loadConfig({ file: path, env: { PORT: '9100' } });
    expect(config.port).toBe(9100);
    expect(config.journeys.cartAfter).toBe(7_200_000);
  });

  it('reads the file named by RECLAIM_CONFIG', () => {
    const path = file({ writeKeys: ['k1'] });
    expect(loadConfig({ env: { RECLAIM_CONFIG: path } }).writeKeys).toEqual(['k1']);
  });

  it.each([
    ['45s', 45_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
  ])('parses the window %s', (text, ms) => {
    expect(loadConfig({ env: { RECLAIM_BROWSE_AFTER: text } }).journeys.browseAfter).toBe(ms);
  });

  it.each(['7d', '14d', '30d', '365d'])('accepts an identity lookback of %s', (text) => {
    expect(loadConfig({ env: { RECLAIM_IDENTITY_LOOKBACK: text } }).identity.lookback).toBe(
      parseInt(text) * 86_400_000,
    );
  });

  it('splits comma-separated lists', () => {
    const config = loadConfig({
      env: { RECLAIM_WRITE_KEYS: ' a, b ,,c', SHOPIFY_WEBHOOK_SECRET: 'old,new' },
    });
    expect(config.writeKeys).toEqual(['a', 'b', 'c']);
    expect(config.shopify.webhookSecrets).toEqual(['old', 'new']);
  });

  it('is frozen', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.journeys)).toBe(true);
  });

  it.each([
    [{ PORT: 'abc' }, 'invalid configuration: PORT (port) must be an integer from 0 to 65535; got "abc"'],
    [
      { RECLAIM_DATABASE_URL: 'mysql://x' },
      'invalid configuration: RECLAIM_DATABASE_URL (databaseUrl) must be sqlite:PATH',
    ],
    [
      { RECLAIM_ADMIN_TOKEN: 'short' },
      'invalid configuration: RECLAIM_ADMIN_TOKEN (adminToken) must be at least 16 characters',
    ],
  ])('rejects %o with a message naming the key', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it('reads RECLAIM_TRUST_PROXY as off, a hop count, or proxy addresses; never as "trust everyone"', () => {
    expect(loadConfig({ env: {} }).trustProxy).toBe(false);
    expect(loadConfig({ env: { RECLAIM_TRUST_PROXY: 'false' } }).trustProxy).toBe(false);
    expect(loadConfig({ env: { RECLAIM_TRUST_PROXY: '2' } }).trustProxy).toBe(2);
    expect(loadConfig({ env: { RECLAIM_TRUST_PROXY: '10.0.0.0/8, ::1, loopback' } }).trustProxy).toEqual([
      '10.0.0.0/8',
      '::1',
      'loopback',
    ]);
    for (const bad of ['true', '10.0.0.0/33', 'proxy.example', '99', ' , '])
      expect(() => loadConfig({ env: { RECLAIM_TRUST_PROXY: bad } }), bad).toThrow(
        'RECLAIM_TRUST_PROXY (trustProxy) must be false, a number of proxy hops',
      );
  });

  it('reads RECLAIM_PIXEL_ORIGINS as exact origins and refuses what no browser would send', () => {
    expect(
      loadConfig({ env: { RECLAIM_PIXEL_ORIGINS: 'https://Shop.example/, http://localhost:3000, null' } })
        .pixel.allowedOrigins,
    ).toEqual(['https://shop.example', 'http://localhost:3000', 'null']);
    for (const bad of ['shop.example', 'https://shop.example/cart', 'ftp://shop.example', '*.shop.example'])
      expect(() => loadConfig({ env: { RECLAIM_PIXEL_ORIGINS: bad } }), bad).toThrow(
        `RECLAIM_PIXEL_ORIGINS (pixel.allowedOrigins) must be origins such as https://shop.example`,
      );
  });

  it('reads RECLAIM_SCAN_URLS as a list of http(s) URLs and names the one that is not', () => {
    expect(
      loadConfig({ env: { RECLAIM_SCAN_URLS: ' https://shop.example/ , http://shop.example/products/a,' } })
        .scanner.urls,
    ).toEqual(['https://shop.example/', 'http://shop.example/products/a']);
    for (const bad of ['shop.example', 'ftp://shop.example/', 'https://'])
      expect(() => loadConfig({ env: { RECLAIM_SCAN_URLS: bad } }), bad).toThrow(
        `RECLAIM_SCAN_URLS (scanner.urls) must be a list of http(s) URLs; "${bad}" is not one`,
      );
  });

  it('never echoes a secret value in an error', () => {
    expect(() => loadConfig({ env: { RECLAIM_ADMIN_TOKEN: 'short' } })).not.toThrow(/short/);
  });

  it('rejects unknown keys at any depth', () => {
    expect(() => loadConfig({ file: file({ prot: 1 }), env: {} })).toThrow('unknown key "prot"');
    expect(() => loadConfig({ file: file({ geo: { country: 'x' } }), env: {} })).toThrow(
      'unknown key "geo.country"',
    );
  });

  it('rejects a file that is not a JSON object', () => {
    expect(() => loadConfig({ file: file('[1]'), env: {} })).toThrow('must hold a JSON object');
    expect(() => loadConfig({ file: file('{'), env: {} })).toThrow('is not valid JSON');
    expect(() => loadConfig({ file: join(dir, 'missing.json'), env: {} })).toThrow('cannot be read: ENOENT');
  });
});

describe('misspeltVariableWarnings', () => {
  it('names the nearest known variable for each unknown one with a Reclaim prefix', () => {
    const warnings = misspeltVariableWarnings({
      RECLAIM_ADMIN_TOKEN: 'known-and-fine-0123',
      RECLAIM_CONFIG: 'reclaim.json',
      RECLAIM_CHECKOUT_AFTR: '1h',
      SHOPIFY_WEBHOOK_SECRETS: 'secret',
      META_PIXELID: '123456',
      GA4_MEASURMENT_ID: 'G-ABC123',
      RECLAIM_PORT: '9000',
      PATH: '/usr/bin',
      NODE_ENV: 'production',
    });
    expect(warnings).toEqual([
      'reclaim: warning: GA4_MEASURMENT_ID is not a variable Reclaim reads and is ignored; did you mean GA4_MEASUREMENT_ID?',
      'reclaim: warning: META_PIXELID is not a variable Reclaim reads and is ignored; did you mean META_PIXEL_ID?',
      'reclaim: warning: RECLAIM_CHECKOUT_AFTR is not a variable Reclaim reads and is ignored; did you mean RECLAIM_CHECKOUT_AFTER?',
      'reclaim: warning: RECLAIM_PORT is not a variable Reclaim reads and is ignored; did you mean PORT?',
      'reclaim: warning: SHOPIFY_WEBHOOK_SECRETS is not a variable Reclaim reads and is ignored; did you mean SHOPIFY_WEBHOOK_SECRET?',
    ]);
  });

  it('is silent when every variable is known', () => {
    expect(misspeltVariableWarnings({ RECLAIM_DATABASE_URL: 'sqlite::memory:', PORT: '1' })).toEqual([]);
  });
});
