import { ConfigurationError } from '../errors/failures.js';
import { SnapshotInvalidError, SnapshotTamperedError } from '../errors/snapshot.js';
import { aesGcmOpen, aesGcmSeal, fromBase64url, importAesKey } from '../runtime/aes-gcm.js';
import { checkHeader, object, SNAPSHOT_VERSION, type Snapshot } from '../runtime/snapshot.js';

export type { Snapshot } from '../runtime/snapshot.js';

/**
 * A snapshot sealed with {@link sealSnapshot}: AES-GCM with a 256-, 192- or
 * 128-bit key, through Web Crypto, so it opens in any runtime tokenpoll runs
 * in. Plain JSON: store it anywhere. It tells nothing of the snapshot but its
 * length; nobody without the key can read or change it unnoticed.
 * @group Snapshots
 */
export interface SealedSnapshot {
  /** Always `'tokenpoll.sealed'`. */
  readonly type: 'tokenpoll.sealed';
  /** The envelope's format version. */
  readonly version: number;
  /** Always `'A-GCM'`: AES in Galois/Counter Mode, with the key's own length. */
  readonly alg: 'A-GCM';
  /** The 96-bit nonce, base64url: fresh for every seal. */
  readonly iv: string;
  /** The encrypted snapshot with its 128-bit tag, base64url. */
  readonly data: string;
}

/**
 * The key a snapshot is sealed with: an AES-GCM `CryptoKey` (usages
 * `encrypt` and `decrypt`), or its 16, 24 or 32 raw bytes. Keep it where you
 * keep your other secrets; a key that leaks opens every snapshot sealed with it.
 * @example
 * ```ts
 * const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
 * ```
 * @group Snapshots
 */
export type SnapshotKey = CryptoKey | Uint8Array | ArrayBuffer;

/**
 * Options for {@link sealSnapshot} and {@link openSnapshot}.
 * @group Snapshots
 */
export interface SealOptions {
  /**
   * What the sealed snapshot belongs to, such as the flow's or the user's id:
   * bound to it (as AES-GCM's additional data, not stored), so it opens only
   * with the same `context`. A sealed snapshot copied onto another record of
   * your store then fails as tampered, rather than resume someone else's login.
   * @defaultValue none
   */
  readonly context?: string | undefined;
}

/** Bound to the ciphertext: a sealed value is a tokenpoll snapshot of this envelope version, for this context, nothing else. */
function additionalData(options: SealOptions | undefined): string {
  const context = options?.context;
  if (context !== undefined && typeof context !== 'string') throw new ConfigurationError('context', 'expected a string');
  return `tokenpoll.sealed/${SNAPSHOT_VERSION}${context === undefined ? '' : `\n${context}`}`;
}

/**
 * Seals a snapshot with AES-GCM: the device code in a login's snapshot is a
 * secret, and a sealed snapshot may be kept where a secret may not (a queue,
 * a database row, a browser's storage). Open it with {@link openSnapshot}.
 * @example
 * ```ts
 * import { openSnapshot, resumeLogin, sealSnapshot } from 'tokenpoll';
 * const sealed = await sealSnapshot(login.snapshot(), key);
 * await store.put(id, JSON.stringify(sealed));
 * // later, anywhere
 * const resumed = resumeLogin(await openSnapshot(JSON.parse(await store.get(id)), key), options);
 * ```
 * @throws {@link ConfigurationError} for a key that is not an AES-GCM key or 16, 24 or 32 bytes, or where Web Crypto is missing.
 * @group Snapshots
 */
export async function sealSnapshot(snapshot: Snapshot, key: SnapshotKey, options?: SealOptions): Promise<SealedSnapshot> {
  const type = (snapshot as { readonly type?: unknown } | null)?.type;
  if (type !== 'tokenpoll.poll' && type !== 'tokenpoll.login') throw new SnapshotInvalidError('type', 'only a poll or login snapshot can be sealed');
  const additional = additionalData(options);
  const cryptoKey = await importAesKey(key, 'key');
  let sealed: { readonly iv: string; readonly data: string };
  try {
    sealed = await aesGcmSeal(cryptoKey, JSON.stringify(snapshot), additional);
  } catch (error) {
    throw new ConfigurationError('key', `cannot seal with this key: ${error instanceof Error ? error.message : String(error)}`);
  }
  return Object.freeze({ type: 'tokenpoll.sealed', version: SNAPSHOT_VERSION, alg: 'A-GCM', iv: sealed.iv, data: sealed.data });
}

/**
 * Opens a snapshot sealed with {@link sealSnapshot}, checking that nothing in
 * it changed. Resume what it returns with {@link resumePoll} or
 * {@link resumeLogin}, which check the snapshot itself.
 * @example
 * ```ts
 * import { openSnapshot, resumePoll } from 'tokenpoll';
 * const key = new Uint8Array(await readKeyBytes()); // 32 bytes from your secret store
 * const snapshot = await openSnapshot(JSON.parse(sealedJson), key);
 * const poll = resumePoll(snapshot, { transport });
 * ```
 * @throws {@link SnapshotTamperedError} when the integrity check fails (changed, another key, or another `context`);
 * {@link SnapshotInvalidError} for a value that is not a sealed snapshot; {@link SnapshotVersionError}
 * for a newer envelope; {@link ConfigurationError} for a bad key.
 * @group Snapshots
 */
export async function openSnapshot(sealed: SealedSnapshot | unknown, key: SnapshotKey, options?: SealOptions): Promise<Snapshot> {
  const additional = additionalData(options);
  const envelope = checkHeader(sealed, 'tokenpoll.sealed');
  if (envelope['alg'] !== 'A-GCM') throw new SnapshotInvalidError('alg', "expected 'A-GCM'");
  const iv = base64urlMember(envelope, 'iv');
  const data = base64urlMember(envelope, 'data');
  if (iv.length !== 12) throw new SnapshotInvalidError('iv', 'expected 12 bytes');
  if (data.length < 16) throw new SnapshotInvalidError('data', 'too short to hold the tag');
  const cryptoKey = await importAesKey(key, 'key');
  let plain: string;
  try {
    plain = await aesGcmOpen(cryptoKey, iv, data, additional);
  } catch (error) {
    // Web Crypto says OperationError for a failed tag, whatever the reason: the data or the key.
    if (error instanceof Error && error.name === 'InvalidAccessError') throw new ConfigurationError('key', 'cannot open with this key (is it an AES-GCM key with the decrypt usage?)');
    throw new SnapshotTamperedError(error);
  }
  let value: unknown;
  try {
    value = JSON.parse(plain);
  } catch {
    throw new SnapshotInvalidError('data', 'the sealed content is not JSON');
  }
  const type = object(value, '')['type'];
  if (type !== 'tokenpoll.poll' && type !== 'tokenpoll.login') throw new SnapshotInvalidError('type', 'the sealed content is not a poll or login snapshot');
  return value as Snapshot;
}

function base64urlMember(envelope: Readonly<Record<string, unknown>>, path: 'iv' | 'data'): Uint8Array<ArrayBuffer> {
  const bytes = fromBase64url(envelope[path]);
  if (bytes === undefined) throw new SnapshotInvalidError(path, 'expected base64url text');
  return bytes;
}
