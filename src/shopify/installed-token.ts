import type { Store } from '../store/store.ts';
import { TokenCipher } from './token-cipher.ts';

/** The offline token an OAuth install stored for `shop`, decrypted; undefined when there is none. */
export async function installedToken(
  store: Store,
  encryptionKey: string,
  shop: string,
): Promise<string | undefined> {
  const row = await store.db
    .selectFrom('shopify_installations')
    .select('token_encrypted')
    .where('shop', '=', shop)
    .executeTakeFirst();
  return row ? new TokenCipher(encryptionKey).decrypt(row.token_encrypted, shop) : undefined;
}
