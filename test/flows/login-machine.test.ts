import { fc, test as propTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { AccessDeniedError, CallbackError, ExpiredTokenError, OAuthError, PollCancelledError, TransportError } from '../../src/index.js';
import {
  initialLoginState,
  loginTransition,
  type LoginConfig,
  type LoginEffect,
  type LoginInput,
  type LoginMachineState,
} from '../../src/flows/login-machine.js';
import { LOGIN_RULES } from '../../src/flows/login-rules.js';
import type { DeviceAuthorization } from '../../src/transports/types.js';

const config: LoginConfig = { hasRestartPolicy: true, canReregister: true, maxLifetimeMs: undefined };
const authorization: DeviceAuthorization = { deviceCode: 'DEVICE-SECRET', userCode: 'U', verificationUri: 'https://v.test', expiresInSeconds: 600, issuedAt: 0 };
const expired = new ExpiredTokenError('server', { code: 'expired_token' });
const rejected = new OAuthError({ code: 'invalid_client', reregisterClient: true });

describe('loginTransition', () => {
  describe('should follow the rules table when the poll ends', () => {
    test.each([
      ['code-expired', expired, 'restart', 'restarting'],
      ['client-rejected', rejected, 're-register', 're-registering'],
    ] as const)('when the end is %s and a restart policy is given, it asks whether to %s, waiting in %s', (end, error, then, waitIn) => {
      // Arrange
      const rule = LOGIN_RULES.polling[end];
      // Act
      const { state, effects } = endPoll(polling(), error, config);
      // Assert
      expect(rule).toEqual({ then, ask: true });
      expect(state.status).toBe(waitIn);
      expect(effects).toEqual([{ type: 'ask', restarts: 0, error }]);
    });

    test('when the code expired and no policy is given, the held end goes out and the login settles expired', () => {
      const { state, effects } = endPoll(polling(), expired, { ...config, hasRestartPolicy: false });
      expect(state).toMatchObject({ status: 'settled', outcome: 'expired' });
      expect(effects.map(describeEffect)).toEqual(['emit stateChange', 'emit expired', 'settle']);
    });

    test('when the client is rejected and no policy is given, it is forgotten first, then the login settles failed', () => {
      const forgetting = endPoll(polling(), rejected, { ...config, hasRestartPolicy: false });
      expect(forgetting.state.status).toBe('forgetting');
      expect(forgetting.effects).toEqual([{ type: 'forget' }]);
      const { state, effects } = loginTransition(forgetting.state, { type: 'forgotten', now: 2 }, config);
      expect(state).toMatchObject({ status: 'settled', outcome: 'failed' });
      expect(effects.map(describeEffect)).toEqual(['emit stateChange', 'emit failed', 'settle']);
    });

    test('when the provider cannot register again, a rejected client is an end like any other', () => {
      const { state } = endPoll(polling(), rejected, { ...config, canReregister: false });
      expect(state).toMatchObject({ status: 'settled', outcome: 'failed' });
    });

    test('when the user denies, nobody is asked', () => {
      const { state, effects } = endPoll(polling(), new AccessDeniedError({ code: 'access_denied' }), config, 'denied');
      expect(state).toMatchObject({ status: 'settled', outcome: 'denied' });
      expect(effects.some((effect) => effect.type === 'ask')).toBe(false);
    });

    test('when the caller says yes after a rejected client, the held end is dropped and a new registration and code are asked for', () => {
      const asking = endPoll(polling(), rejected, config).state;
      const { state, effects } = loginTransition(asking, { type: 'answered', now: 2, yes: true }, config);
      expect(state).toMatchObject({ status: 'authorizing', restarts: 1, reregistered: true });
      expect(effects).toEqual([{ type: 'authorize', renew: true }]);
    });

    test('when the caller says yes after an expiry, a new code is asked for with the same registration', () => {
      const asking = endPoll(polling(), expired, config).state;
      const { state, effects } = loginTransition(asking, { type: 'answered', now: 2, yes: true }, config);
      expect(state).toMatchObject({ status: 'authorizing', restarts: 1, reregistered: false });
      expect(effects).toEqual([{ type: 'authorize', renew: false }]);
    });

    test('when the client is rejected again after one re-registration, nobody is asked: it is forgotten and the login fails', () => {
      const again = { ...polling(), reregistered: true };
      const { state, effects } = endPoll(again, rejected, config);
      expect(state.status).toBe('forgetting');
      expect(effects).toEqual([{ type: 'forget' }]);
    });
  });

  describe('should follow the rules table when asking for a code fails', () => {
    test('when the client is rejected before any code was shown, it registers again without asking, once', () => {
      // Act
      const first = loginTransition(started(), { type: 'failed', now: 1, error: rejected }, config);
      const second = loginTransition(first.state, { type: 'failed', now: 2, error: rejected }, config);
      // Assert
      expect(LOGIN_RULES.authorizing['client-rejected']).toEqual({ then: 're-register', ask: false });
      expect(first.state).toMatchObject({ status: 'authorizing', restarts: 0, reregistered: true });
      expect(first.effects).toEqual([{ type: 'authorize', renew: true }]);
      expect(second.state.status).toBe('forgetting');
    });

    test.each([
      [new TransportError('down'), 'failed'],
      [new PollCancelledError('quit'), 'cancelled'],
    ] as const)('when authorize fails with %s, the login settles %s with its own event', (error, outcome) => {
      const { state, effects } = loginTransition(started(), { type: 'failed', now: 7, error }, config);
      expect(state).toMatchObject({ status: 'settled', outcome });
      expect(effects).toEqual([
        { type: 'emit', name: outcome, payload: { error, attempt: 0, at: 7 } },
        { type: 'settle', result: { ok: false, error } },
      ]);
    });

    test('when authorize fails, the settled state holds the login\'s own end, since no poll ended', () => {
      const error = new TransportError('down');
      const { state } = loginTransition(started(), { type: 'failed', now: 7, error }, config);
      expect(state).toMatchObject({ status: 'settled', state: { status: 'failed', failure: { kind: 'transport_error', message: 'down' }, attempt: 0, at: 7 } });
    });

    test('when a poll\'s end is the login\'s, the settled state holds no end of its own: the poll\'s state is the login\'s', () => {
      const { state } = endPoll(polling(), new AccessDeniedError({ code: 'access_denied' }), config, 'denied');
      expect(state).toMatchObject({ status: 'settled', outcome: 'denied', state: undefined });
    });
  });

  describe('should hold back only the poll\'s end', () => {
    test('when the poll emits a pending event, it goes out at once', () => {
      const { state, effects } = loginTransition(polling(), { type: 'pollEvent', now: 1, name: 'pending', payload: { attempt: 1 } }, config);
      expect(effects).toEqual([{ type: 'emit', name: 'pending', payload: { attempt: 1 } }]);
      expect(state).toEqual({ ...polling(), attempt: 1 });
    });

    test('when the poll emits the stateChange into its end, it is held until the end is known', () => {
      const { state, effects } = loginTransition(polling(), { type: 'pollEvent', now: 1, name: 'stateChange', payload: { from: 'pending', to: 'granted' } }, config);
      expect(effects).toEqual([]);
      expect(state).toMatchObject({ status: 'polling', held: [{ type: 'emit', name: 'stateChange' }] });
    });
  });

  describe('should emit the code, never the device code', () => {
    test('when the poll has started, the code event carries what the user needs and when it expires', () => {
      const authorizing = loginTransition(started(), { type: 'authorized', now: 0, authorization }, config);
      expect(authorizing.effects).toEqual([{ type: 'poll', authorization }]);
      const { state, effects } = loginTransition(authorizing.state, { type: 'pollStarted', now: 1000, wallNow: 5000, authorization }, config);
      expect(state.status).toBe('polling');
      expect(effects).toEqual([{ type: 'emit', name: 'code', payload: { userCode: 'U', verificationUri: 'https://v.test', expiresAt: 5000 + 599_000, expiresInMs: 599_000, restart: 0 } }]);
      expect(JSON.stringify(effects)).not.toContain('DEVICE-SECRET');
    });
  });

  describe('should cancel from anywhere', () => {
    test('when cancelled while polling, the poll is told to cancel and its end comes back as a poll event', () => {
      const { state, effects } = loginTransition(polling(), { type: 'cancel', now: 1, reason: 'quit' }, config);
      expect(state.status).toBe('polling');
      expect(effects).toEqual([{ type: 'cancelPoll', reason: 'quit' }]);
    });

    test.each(['authorizing', 'restarting', 'forgetting'] as const)('when cancelled while %s, what is in flight is aborted with the reason, and the login settles cancelled', (status) => {
      const state = status === 'authorizing' ? started() : status === 'restarting' ? endPoll(polling(), expired, config).state : endPoll(polling(), rejected, { ...config, hasRestartPolicy: false }).state;
      const step = loginTransition(state, { type: 'cancel', now: 3, reason: 'quit' }, config);
      expect(step.state).toMatchObject({ status: 'settled', outcome: 'cancelled' });
      expect(step.effects.map(describeEffect)).toEqual(['abort', 'emit cancelled', 'settle']);
      expect(step.effects[0]).toEqual({ type: 'abort', reason: 'quit' });
      const error = (step.effects[2] as Extract<LoginEffect<unknown>, { type: 'settle' }>).result;
      expect(error).toMatchObject({ ok: false, error: expect.any(PollCancelledError) });
      expect((error as { error: Error }).error.cause).toBe('quit');
    });

    test('when cancelled after a poll sent requests, the cancelled event and the state carry its attempt count, not 0', () => {
      const sent = loginTransition(polling(), { type: 'pollEvent', now: 1, name: 'attempt', payload: { attempt: 3 } }, config).state;
      const changed = loginTransition(sent, { type: 'pollEvent', now: 1, name: 'stateChange', payload: { from: 'pending', to: 'expired' } }, config).state;
      const asking = loginTransition(changed, { type: 'pollEvent', now: 1, name: 'expired', payload: { error: expired, attempt: 3, at: 1 } }, config).state;
      expect(asking.status).toBe('restarting');
      const { state, effects } = loginTransition(asking, { type: 'cancel', now: 9, reason: 'quit' }, config);
      expect(effects[1]).toMatchObject({ type: 'emit', name: 'cancelled', payload: { attempt: 3, at: 9 } });
      expect(state).toMatchObject({ status: 'settled', state: { status: 'cancelled', reason: 'quit', attempt: 3, at: 9 } });
    });
  });

  describe('should settle failed when a callback crashes', () => {
    test.each(['authorizing', 'polling', 'restarting', 'forgetting'] as const)('when a crash comes while %s, the login fails with a CallbackError, after cancelling the poll and aborting what is in flight', (status) => {
      // Arrange
      const states = { authorizing: started(), polling: polling(), restarting: endPoll(polling(), expired, config).state, forgetting: endPoll(polling(), rejected, { ...config, hasRestartPolicy: false }).state };
      const thrown = new Error('clock broke');
      // Act
      const step = loginTransition(states[status], { type: 'crash', now: 4, error: thrown }, config);
      // Assert
      expect(step.effects.map(describeEffect)).toEqual(['cancelPoll', 'abort', 'emit failed', 'settle']);
      const settle = step.effects[3] as Extract<LoginEffect<unknown>, { type: 'settle' }>;
      expect(settle.result).toEqual({ ok: false, error: expect.any(CallbackError) });
      const error = (settle.result as { error: CallbackError }).error;
      expect(error.message).toBe('a callback threw: clock broke');
      expect(error.cause).toBe(thrown);
      expect(step.effects[2]).toMatchObject({ payload: { error, attempt: states[status].attempt, at: 4 } });
      expect(step.state).toMatchObject({ status: 'settled', outcome: 'failed', state: { status: 'failed', failure: { kind: 'callback_error', message: 'a callback threw: clock broke' }, at: 4 } });
    });

    test('when a crash comes once settled, it is absorbed', () => {
      const settled = loginTransition(started(), { type: 'failed', now: 1, error: new TransportError('down') }, config).state;
      const step = loginTransition(settled, { type: 'crash', now: 2, error: new Error('late') }, config);
      expect(step.state).toBe(settled);
      expect(step.effects).toEqual([]);
    });
  });

  describe('should be a pure function', () => {
    propTest.prop([fc.array(arbitraryInput(), { maxLength: 30 })])('when fed any inputs, settled absorbs everything, and at most one settle is ever effected', (inputs) => {
      let state: LoginMachineState<unknown> = initialLoginState;
      let settles = 0;
      for (const input of inputs) {
        const before = state;
        const step = loginTransition(state, input, config);
        expect(Object.isFrozen(step.state)).toBe(true);
        expect(Object.isFrozen(step.effects)).toBe(true);
        expect(loginTransition(before, input, config).state).toEqual(step.state);
        if (before.status === 'settled') {
          expect(step.state).toBe(before);
          expect(step.effects).toEqual([]);
        }
        settles += step.effects.filter((effect) => effect.type === 'settle').length;
        state = step.state;
      }
      expect(settles).toBeLessThanOrEqual(1);
    });
  });
});

// Helpers

function started(): LoginMachineState<unknown> {
  return loginTransition(initialLoginState, { type: 'start', now: 0 }, config).state;
}

function polling(): LoginMachineState<unknown> {
  return { status: 'polling', restarts: 0, reregistered: false, attempt: 0, held: [] };
}

/** Feeds a poll's failing end: the stateChange into it, then its terminal event. */
function endPoll(state: LoginMachineState<unknown>, error: Error, machineConfig: LoginConfig, name: 'failed' | 'expired' | 'denied' = error instanceof ExpiredTokenError ? 'expired' : 'failed') {
  const changed = loginTransition(state, { type: 'pollEvent', now: 1, name: 'stateChange', payload: { from: 'pending', to: name } }, machineConfig).state;
  return loginTransition(changed, { type: 'pollEvent', now: 1, name, payload: { error, attempt: 1, at: 1 } }, machineConfig);
}

function describeEffect(effect: LoginEffect<unknown>): string {
  return effect.type === 'emit' ? `emit ${effect.name}` : effect.type;
}

function arbitraryInput(): fc.Arbitrary<LoginInput<unknown>> {
  const error = fc.constantFrom<Error>(expired, rejected, new TransportError('down'), new PollCancelledError('quit'), new AccessDeniedError({ code: 'access_denied' }));
  return fc.oneof(
    fc.constant({ type: 'start', now: 0 } as const),
    fc.constant({ type: 'authorized', now: 0, authorization } as const),
    fc.constant({ type: 'pollStarted', now: 0, wallNow: 0, authorization } as const),
    error.map((e) => ({ type: 'failed', now: 0, error: e }) as LoginInput<unknown>),
    fc.constantFrom('pending', 'granted', 'failed', 'expired', 'cancelled').chain((name) =>
      error.map((e) => ({ type: 'pollEvent', now: 0, name, payload: name === 'granted' ? { token: 't' } : { error: e } }) as LoginInput<unknown>),
    ),
    fc.boolean().map((yes) => ({ type: 'answered', now: 0, yes }) as const),
    fc.constant({ type: 'forgotten', now: 0 } as const),
    fc.constant({ type: 'cancel', now: 0, reason: 'quit' } as const),
    fc.constant({ type: 'crash', now: 0, error: new Error('broke') } as const),
  );
}
