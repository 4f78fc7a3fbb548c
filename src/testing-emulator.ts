/**
 * The emulator server, exported as `tokenpoll/testing/emulator`: RFC 8628
 * and AWS SSO OIDC over real HTTP on loopback, with faults to inject. It
 * runs on Node (`node:http`).
 * @module tokenpoll/testing/emulator
 */
export type {
  Emulator, EmulatorOptions, EmulatorFault, EmulatorClient, EmulatorAccount, EmulatorInjectOptions, EmulatorCode, EmulatorCodeStatus, EmulatorRequest, EmulatorPoll,
} from './testing/emulator/types.js';
export { startEmulator } from './testing/emulator/server.js';
