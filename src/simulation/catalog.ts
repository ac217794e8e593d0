import { Random } from './random.ts';
import type { Product } from './shopper.ts';
import type { StoreProfile } from './store-profiles.ts';

/** The store's products, the same for every run of a profile. */
export function catalogOf(profile: StoreProfile): Product[] {
  const rng = new Random(`catalog:${profile.name}`);
  return Array.from({ length: profile.catalog.products }, (_, i) => {
    const name = profile.catalog.names[i % profile.catalog.names.length]!;
    const edition = Math.floor(i / profile.catalog.names.length);
    const title = edition
      ? `${name} ${['Classic', 'Studio', 'Limited', 'Travel', 'Signature'][edition % 5]}`
      : name;
    const price = Math.round(rng.between(profile.catalog.minPrice, profile.catalog.maxPrice)) - 0.05;
    return {
      productId: String(8_900_000_000_000 + i),
      variantId: String(47_100_000_000_000 + i * 10),
      title,
      variantTitle: rng.pick(['S', 'M', 'L', '30 ml', '50 ml', 'One size']),
      sku: `${profile.name.slice(0, 2).toUpperCase()}-${1000 + i}`,
      handle: title.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      price,
    };
  });
}
