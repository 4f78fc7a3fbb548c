import { ConfigurationError } from '../errors/failures.js';

// AES-GCM through Web Crypto, as text in and base64url text out: what a snapshot's seal and the
// fleet's sealed Redis fields share. Web Crypto runs in every runtime tokenpoll supports.

/** An AES-GCM key: a `CryptoKey` made for AES-GCM (`encrypt`, `decrypt`), or its 16, 24 or 32 raw bytes. @internal */
export type AesKey = CryptoKey | Uint8Array | ArrayBuffer;

/** Text sealed with {@link aesGcmSeal}: the 96-bit nonce and the ciphertext with its 128-bit tag, each base64url. @internal */
export interface AesGcmSealed {
  readonly iv: string;
  readonly data: string;
}

/**
 * Checks a key at once (before anything is sealed): a `CryptoKey` for
 * AES-GCM, or raw bytes of one of `lengths`. `option` names the caller's
 * option in the {@link ConfigurationError} a wrong key gets.
 * @internal
 */
export function checkAesKey(key: AesKey, option: string, lengths: readonly number[] = [16, 24, 32]): void {
  if (key instanceof Uint8Array || key instanceof ArrayBuffer) {
    if (!lengths.includes(key.byteLength)) throw new ConfigurationError(option, `expected ${lengths.join(', ').replace(/, (\d+)$/, ' or $1')} bytes, got ${key.byteLength}`);
    return;
  }
  const algorithm = (key as { readonly algorithm?: { readonly name?: unknown } } | null)?.algorithm;
  if (typeof key !== 'object' || key === null || algorithm?.name !== 'AES-GCM') throw new ConfigurationError(option, `expected an AES-GCM CryptoKey, or ${lengths.join(', ').replace(/, (\d+)$/, ' or $1')} raw bytes`);
}

/** The key as a `CryptoKey`, checked by {@link checkAesKey} first. @internal */
export async function importAesKey(key: AesKey, option: string, lengths?: readonly number[]): Promise<CryptoKey> {
  checkAesKey(key, option, lengths);
  if (!(key instanceof Uint8Array || key instanceof ArrayBuffer)) return key;
  const bytes = key instanceof Uint8Array ? new Uint8Array(key) : new Uint8Array(key.slice(0));
  return webCrypto(option).importKey('raw', bytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
}

/** Seals `plain` with a fresh nonce, bound to `context` (AES-GCM's additional data, not stored). @internal */
export async function aesGcmSeal(key: CryptoKey, plain: string, context: string): Promise<AesGcmSealed> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const data = await webCrypto('key').encrypt({ name: 'AES-GCM', iv, additionalData: encode(context) }, key, encode(plain));
  return { iv: toBase64url(iv), data: toBase64url(new Uint8Array(data)) };
}

/**
 * Opens what {@link aesGcmSeal} sealed with the same key and `context`.
 * @throws what Web Crypto throws: an `OperationError` when the tag does not
 * check (changed, another key or another context), an `InvalidAccessError`
 * for a key without the decrypt usage.
 * @internal
 */
export async function aesGcmOpen(key: CryptoKey, iv: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>, context: string): Promise<string> {
  const plain = await webCrypto('key').decrypt({ name: 'AES-GCM', iv, additionalData: encode(context) }, key, data);
  return new TextDecoder().decode(plain);
}

/** Bytes as base64url text, without padding. @internal */
export function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** base64url text as bytes, or `undefined` for anything that is not base64url text. @internal */
export function fromBase64url(value: unknown): Uint8Array<ArrayBuffer> | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) return undefined;
  let binary: string;
  try {
    binary = atob(value.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (value.length % 4)) % 4));
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function webCrypto(option: string): SubtleCrypto {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (!subtle) throw new ConfigurationError(option, 'Web Crypto (crypto.subtle) is not available here; it needs a secure context in a browser');
  return subtle;
}

function encode(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}
