import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createConfig, initialState, OUTCOME_RULES, transition, type AnswerKind, type OutcomeRule, type PollConfig, type PollState, type TokenOutcome } from '../../src/index.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('OUTCOME_RULES', () => {
  describe("should match the README's behaviour table, row for row", () => {
    test('when every rule has a row and every row a rule', () => {
      // Arrange
      const rows = behaviourTable(README);
      // Act
      const answers = rows.map((row) => row.answer);
      // Assert
      expect(new Set(answers).size).toBe(answers.length);
      expect([...answers].sort()).toEqual(Object.keys(OUTCOME_RULES).sort());
    });

    test('when each row says what its rule does, and which event says so', () => {
      const rows = behaviourTable(README);
      const documented = Object.fromEntries(rows.map(({ answer, then, event }) => [answer, { then, event }]));
      const expected = Object.fromEntries(Object.entries(OUTCOME_RULES).map(([answer, rule]) => [answer, { then: described(rule), event: `\`${rule.event}\`` }]));
      expect(documented).toEqual(expected);
    });
  });

  describe('should be what the machine does', () => {
    test.each(Object.keys(OUTCOME_RULES) as AnswerKind[])('when the answer is %s', (kind) => {
      // Arrange
      const rule = OUTCOME_RULES[kind];
      const config = createConfig({ interval: 5, expiresIn: 600, pendingErrorCodes: ['incorrect_device_code'] });
      const polled = inFlight(config);
      // Act
      const step = transition(polled, { type: 'responseReceived', now: 5100, attempt: 1, outcome: SAMPLES[kind] }, config);
      // Assert
      if (rule.then === 'settle') {
        expect(step.state.status).toBe(rule.as);
        if (rule.as === 'failed') expect(step.state).toMatchObject({ failure: { kind: rule.failure } });
        // The terminal event is named as the status: the driver emits it when it carries out `settle`.
        expect(rule.event).toBe(rule.as);
        expect(step.effects.at(-1)).toEqual({ type: 'settle', state: step.state });
      } else {
        expect(step.state).toMatchObject({ status: rule.status, phase: 'waiting' });
        expect(step.effects.filter((e) => e.type === 'emit').map((e) => e.name)).toContain(rule.event);
      }
    });
  });

  describe('should be frozen', () => {
    test('when someone tries to change a rule', () => {
      expect(Object.isFrozen(OUTCOME_RULES)).toBe(true);
      for (const rule of Object.values(OUTCOME_RULES)) expect(Object.isFrozen(rule)).toBe(true);
    });
  });
});

// Helpers

/** One answer of each kind. `pending_error_code` is a code the test's config lists in `pendingErrorCodes`. */
const SAMPLES: { readonly [K in AnswerKind]: TokenOutcome<unknown> } = {
  success: { type: 'success', token: { accessToken: 'at', raw: {} } },
  authorization_pending: { type: 'authorization_pending' },
  pending_error_code: { type: 'oauth_error', error: { code: 'incorrect_device_code' } },
  slow_down: { type: 'slow_down' },
  access_denied: { type: 'access_denied', error: { code: 'access_denied' } },
  expired_token: { type: 'expired_token', error: { code: 'expired_token' } },
  oauth_error: { type: 'oauth_error', error: { code: 'invalid_grant' } },
  unreadable_success: { type: 'unreadable_success', status: 200, message: 'the body was cut' },
  invalid_response: { type: 'invalid_response', status: 404, message: 'HTTP 404' },
  transport_error: { type: 'transport_error', message: 'the transport threw' },
  network_error: { type: 'network_error', message: 'ECONNRESET' },
  timeout: { type: 'timeout', message: 'timed out' },
  server_error: { type: 'server_error', status: 503, message: 'HTTP 503' },
  rate_limited: { type: 'rate_limited', status: 429, message: 'HTTP 429' },
};

/** The flow at 5000 ms, its first request in flight. */
function inFlight(config: PollConfig): PollState {
  const started = transition(initialState, { type: 'start', now: 0 }, config);
  return transition(started.state, { type: 'timerFired', now: 5000 }, config).state;
}

/** How the README's `then` column words a rule. */
function described(rule: OutcomeRule): string {
  if (rule.then === 'settle') return rule.as === 'failed' ? `settle \`failed\` (\`${rule.failure}\`)` : `settle \`${rule.as}\``;
  switch (rule.wait) {
    case 'interval':
      return 'wait the interval';
    case 'slow-down':
      return 'wait the interval + 5 s';
    case 'backoff':
      return 'wait with backoff';
    default: {
      const unknown: never = rule;
      throw new TypeError(`unknown rule ${JSON.stringify(unknown)}`);
    }
  }
}

/** The rows of the table between the behaviour-table markers, whose header must be `| answer | then | event |`. */
function behaviourTable(markdown: string): { answer: string; then: string; event: string }[] {
  const match = /<!-- behaviour-table:start -->\n([\s\S]*?)<!-- behaviour-table:end -->/.exec(markdown);
  if (!match) throw new Error('README.md has no behaviour table between its markers');
  const [header, rule, ...rows] = match[1]!.trim().split('\n').map(cells);
  expect(header).toEqual(['answer', 'then', 'event']);
  expect(rule!.every((cell) => /^-+$/.test(cell))).toBe(true);
  return rows.map((row) => {
    expect(row).toHaveLength(3);
    const [answer, then, event] = row as [string, string, string];
    expect(answer).toMatch(/^`\w+`$/);
    return { answer: answer.slice(1, -1), then, event };
  });
}

function cells(line: string): string[] {
  return line.trim().replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim());
}
