import { aesGcmOpen, aesGcmSeal, checkAesKey, fromBase64url, importAesKey } from '../runtime/aes-gcm.js';
import { ConfigurationError } from '../errors/failures.js';

/**
 * An AES-GCM key: 32 random bytes (AES-256), or a `CryptoKey` made for
 * AES-GCM with `encrypt` and `decrypt`.
 * @group Fleet
 */
export type SealKey = CryptoKey | Uint8Array | ArrayBuffer;

/** A sealed value as stored in Redis: AES-GCM, a fresh 96-bit IV, the flow id and the field as additional data. @internal */
export interface SealedValue {
  readonly sealed: 'A256GCM';
  readonly iv: string;
  readonly data: string;
}

const keys = new WeakMap<object, Promise<CryptoKey>>();

/** Throws a {@link ConfigurationError} at once for a key that is not 32 bytes or an AES-GCM `CryptoKey`. @internal */
export function checkSealKey(key: SealKey): void {
  checkAesKey(key, 'sealKey', [32]);
}

/** The key as a CryptoKey, imported once per key object. @internal */
export function cryptoKey(key: SealKey): Promise<CryptoKey> {
  let imported = keys.get(key);
  if (!imported) {
    imported = importAesKey(key, 'sealKey', [32]);
    keys.set(key, imported);
  }
  return imported;
}

/** The fields of a flow record that hold a sealed value. @internal */
export type SealedField = 'deviceCode' | 'token';

/** The additional data a value is sealed with: its flow and its field, so it cannot be moved to another flow, nor to another field of its own. */
function boundTo(flowId: string, field: SealedField): string {
  return `${flowId}\n${field}`;
}

/** Seals `plain` as the field `field` of the flow `flowId` (both bound as additional data). @internal */
export async function seal(key: SealKey, flowId: string, field: SealedField, plain: string): Promise<SealedValue> {
  const { iv, data } = await aesGcmSeal(await cryptoKey(key), plain, boundTo(flowId, field));
  return { sealed: 'A256GCM', iv, data };
}

/**
 * Opens a sealed value.
 * @throws {@link ConfigurationError} for a wrong key, a tampered value, or one sealed for another flow or field (the message names neither the key nor the value).
 * @internal
 */
export async function unseal(key: SealKey, flowId: string, field: SealedField, value: SealedValue): Promise<string> {
  const aesKey = await cryptoKey(key);
  try {
    const iv = fromBase64url(value.iv);
    const data = fromBase64url(value.data);
    if (iv === undefined || data === undefined) throw new TypeError('not base64url');
    return await aesGcmOpen(aesKey, iv, data, boundTo(flowId, field));
  } catch {
    throw new ConfigurationError('sealKey', `flow ${flowId}: a sealed value does not open with this key (a wrong key, or the value was altered)`);
  }
}

/** Whether a stored value is sealed. @internal */
export function isSealed(value: unknown): value is SealedValue {
  return typeof value === 'object' && value !== null && (value as SealedValue).sealed === 'A256GCM';
}
