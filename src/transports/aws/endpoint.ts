import { ConfigurationError } from '../../errors/failures.js';
import { checkSecureUrl, type SecureUrl } from '../secure-url.js';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

// DNS suffixes of the partitions whose OIDC endpoint is not under amazonaws.com.
const PARTITION_SUFFIXES: readonly (readonly [prefix: string, suffix: string])[] = [
  ['cn-', 'amazonaws.com.cn'],
  ['us-isob-', 'sc2s.sgov.gov'],
  ['us-isof-', 'csp.hci.ic.gov'],
  ['us-iso-', 'c2s.ic.gov'],
  ['eu-isoe-', 'cloud.adc-e.uk'],
];

/**
 * Checks an AWS region name, such as `us-east-1`, `eu-central-2`,
 * `us-gov-west-1` or `cn-north-1`.
 * @example
 * ```ts
 * import { assertAwsRegion } from 'tokenpoll';
 * assertAwsRegion('eu-west-1'); // 'eu-west-1'
 * assertAwsRegion('eu west'); // throws ConfigurationError: "region: expected an AWS region such as 'us-east-1', got 'eu west'"
 * ```
 * @throws {@link ConfigurationError} (option `region`) for anything else.
 * @group AWS SSO OIDC
 */
export function assertAwsRegion(region: unknown): string {
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new ConfigurationError('region', `expected an AWS region such as 'us-east-1', got ${typeof region === 'string' ? `'${region}'` : typeof region}`);
  }
  return region;
}

/**
 * The base URL of the AWS SSO OIDC API (IAM Identity Center): `endpoint` when
 * given (its path is kept, so `http://127.0.0.1:PORT/aws` works), else
 * `https://oidc.{region}.amazonaws.com` (`.amazonaws.com.cn` in China, and the
 * ISO partitions' own suffixes). No trailing slash.
 *
 * @param region - The region; always checked, even with an explicit endpoint.
 * @param endpoint - An explicit endpoint: HTTPS, or HTTP on a loopback host; no query or fragment.
 * @throws {@link ConfigurationError} for a bad region or endpoint.
 * @example
 * ```ts
 * import { awsSsoOidcEndpoint } from 'tokenpoll';
 * awsSsoOidcEndpoint('eu-west-1'); // 'https://oidc.eu-west-1.amazonaws.com'
 * awsSsoOidcEndpoint('us-east-1', 'http://127.0.0.1:4566/aws'); // 'http://127.0.0.1:4566/aws'
 * ```
 * @group AWS SSO OIDC
 */
export function awsSsoOidcEndpoint(region: string, endpoint?: string | URL): string {
  return awsServiceEndpoint('oidc', region, endpoint);
}

/**
 * The base URL of an AWS service in a region: `endpoint` checked and without
 * its trailing slash, else `https://{host}.{region}.{partition suffix}`.
 * @throws {@link ConfigurationError} for a bad region or endpoint.
 * @internal
 */
export function awsServiceEndpoint(host: string, region: string, endpoint: string | URL | undefined): string {
  return endpointText(awsServiceUrl(host, region, endpoint));
}

/**
 * {@link awsServiceEndpoint} as a checked URL, checked once.
 * @throws {@link ConfigurationError} for a bad region or endpoint.
 * @internal
 */
export function awsServiceUrl(host: string, region: string, endpoint: string | URL | undefined): SecureUrl {
  assertAwsRegion(region);
  if (endpoint === undefined) {
    const suffix = PARTITION_SUFFIXES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? 'amazonaws.com';
    // https:, on a host made of tokenpoll's own names and the region just checked: secure as built.
    return new URL(`https://${host}.${region}.${suffix}`) as SecureUrl;
  }
  if (typeof endpoint !== 'string' && !(endpoint instanceof URL)) throw new ConfigurationError('endpoint', 'expected a URL');
  const url = checkSecureUrl(endpoint, 'endpoint');
  if (url.search !== '' || url.hash !== '') throw new ConfigurationError('endpoint', 'must not have a query or a fragment');
  return url;
}

/** A base URL as the AWS helpers keep it: origin and path, no trailing slash. @internal */
export function endpointText(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
