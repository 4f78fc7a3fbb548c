import { describe, expect, test } from 'vitest';
import { ConfigurationError, assertAwsRegion, awsSsoOidcEndpoint, loginWithAwsSso } from '../../src/index.js';
import { catchError } from '../helpers/catch-error.js';

describe('awsSsoOidcEndpoint', () => {
  describe('should build the regional endpoint', () => {
    test.each([
      ['us-east-1', 'https://oidc.us-east-1.amazonaws.com'],
      ['eu-central-2', 'https://oidc.eu-central-2.amazonaws.com'],
      ['us-gov-west-1', 'https://oidc.us-gov-west-1.amazonaws.com'],
      ['cn-north-1', 'https://oidc.cn-north-1.amazonaws.com.cn'],
      ['us-iso-east-1', 'https://oidc.us-iso-east-1.c2s.ic.gov'],
      ['us-isob-east-1', 'https://oidc.us-isob-east-1.sc2s.sgov.gov'],
    ])('when the region is %s', (region, expected) => {
      expect(awsSsoOidcEndpoint(region)).toBe(expected);
    });
  });

  describe('should take an explicit endpoint', () => {
    test('when it has a path prefix, the prefix is kept and a trailing slash dropped', () => {
      expect(awsSsoOidcEndpoint('us-east-1', 'http://127.0.0.1:4566/aws/')).toBe('http://127.0.0.1:4566/aws');
      expect(awsSsoOidcEndpoint('us-east-1', new URL('https://sso.example.com'))).toBe('https://sso.example.com');
    });

    test.each([
      ['http://sso.example.com', 'plain http'],
      ['https://sso.example.com/?a=1', 'a query'],
      ['https://user:pw@sso.example.com', 'credentials'],
      ['not a url', 'not a URL'],
    ])('when it is %s (%s), it is refused with a ConfigurationError', (endpoint) => {
      const error = catchError(() => awsSsoOidcEndpoint('us-east-1', endpoint));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).option).toBe('endpoint');
      expect((error as Error).message).not.toContain('pw');
    });
  });

  describe('should refuse a bad region with a typed error', () => {
    test.each([['US-EAST-1'], ['useast1'], ['us-east'], [''], ['us-east-1.evil.com'], [42], [undefined]])('when the region is %j', (region) => {
      const error = catchError(() => assertAwsRegion(region));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ option: 'region', code: 'ERR_INVALID_OPTION' });
    });

    test('when an explicit endpoint is given, the region is still checked', () => {
      expect(catchError(() => awsSsoOidcEndpoint('nowhere', 'http://127.0.0.1:1/aws'))).toMatchObject({ option: 'region' });
    });

    test('when loginWithAwsSso gets one, it throws at once, before any request', () => {
      let fetched = false;
      const fetch = (() => ((fetched = true), Promise.reject(new Error('no')))) as unknown as typeof globalThis.fetch;
      expect(catchError(() => loginWithAwsSso({ region: 'moon-1', startUrl: 'https://x.awsapps.com/start', fetch }))).toMatchObject({ option: 'region' });
      expect(catchError(() => loginWithAwsSso({ region: 'us-east-1', startUrl: 'no url', fetch }))).toMatchObject({ option: 'startUrl' });
      expect(fetched).toBe(false);
    });
  });
});

