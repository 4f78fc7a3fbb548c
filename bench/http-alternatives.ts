/** Suite 6 (HTTP): the alternatives bench/http.ts runs, and what it measures. */
export const HTTP_ALTERNATIVES = {
  tokenpoll: {
    label: 'tokenpoll `pollToken` + `tokenTransport`, interval 1 ms',
    note: 'the RFC 8628 transport under the full driver, with the smallest interval tokenpoll accepts (1 ms) and the first poll at once.',
  },
  openidClient: {
    label: 'openid-client 6 `pollDeviceAuthorizationGrant`, interval 1 ms',
    note: 'the same server and the same wait: `interval: 0.001` in the device authorization response it is given, `allowInsecureRequests` for the http loopback URL, public client (`None`).',
  },
  openidClientNoWait: {
    label: 'openid-client 6, interval 0 (no wait at all)',
    note: 'openid-client accepts `interval: 0` and then polls back to back, with no timer: what its HTTP path costs alone.',
  },
  transportLoop: {
    label: 'tokenpoll `tokenTransport` alone, back to back',
    note: 'the transport called in a plain loop with no driver and no wait: what the HTTP path costs alone, for the row above.',
  },
} as const;

export type HttpAlternativeKey = keyof typeof HTTP_ALTERNATIVES;

export interface HttpMeasurement {
  readonly runMs: number;
  readonly rounds: number;
  /** Polls per second the server saw, one per round, by alternative. */
  readonly rates: Readonly<Record<HttpAlternativeKey, readonly number[]>>;
}
