import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';

const root = new URL('../../extensions/reclaim-consent/', import.meta.url);
const liquid = readFileSync(new URL('blocks/consent-banner.liquid', root), 'utf8');
const schema = JSON.parse(/\{% schema %\}([\s\S]*)\{% endschema %\}/.exec(liquid)![1]!) as {
  target: string;
  settings: { id: string; type: string }[];
};

describe('extensions/reclaim-consent (theme app extension)', () => {
  it('is a theme extension whose app embed goes into <head>', () => {
    expect(parse(readFileSync(new URL('shopify.extension.toml', root), 'utf8'))).toMatchObject({
      type: 'theme',
    });
    expect(schema.target).toBe('head');
  });

  it('is configured from the theme editor with the Reclaim URL and a publishable key', () => {
    expect(schema.settings.map((s) => [s.id, s.type])).toEqual([
      ['reclaim_url', 'text'],
      ['publishable_key', 'text'],
      ['load_forms', 'checkbox'],
    ]);
    // The script tag is the one CONTRACT.md gives a store off Shopify, with the key the editor holds.
    expect(liquid).toContain('src="{{ reclaim_url | escape }}/v1/consent/banner.js"');
    expect(liquid).toContain('data-key="{{ reclaim_key | escape }}"');
    // Nothing is emitted until both settings are filled in.
    expect(liquid).toMatch(/if reclaim_url != blank and reclaim_key != blank/);
  });
});
