/** One row of the closing note's table: measured by the tests, printed, never asserted. */
export interface ScenarioRow {
  readonly scenario: string;
  readonly outcome: string;
  /** Requests the scenario sent to the server (token polls, or as stated in the scenario). */
  readonly requests: number;
  /** From the approval to the token (or the outcome), in ms, when there was an approval. */
  readonly approvalToTokenMs?: number | undefined;
}

/** Collects rows and prints them as a Markdown table (in afterAll) when TOKENPOLL_SCENARIO_TABLE is set, like the AWS tests. */
export function scenarioTable(title: string): { add(row: ScenarioRow): void; print(): void } {
  const rows: ScenarioRow[] = [];
  return {
    add: (row) => void rows.push(row),
    print() {
      if (!process.env['TOKENPOLL_SCENARIO_TABLE']) return;
      const lines = rows.map(
        (r) => `| ${r.scenario} | ${r.outcome} | ${r.requests} | ${r.approvalToTokenMs === undefined ? '–' : `${r.approvalToTokenMs.toFixed(0)} ms`} |`,
      );
      console.log([`\n${title}`, '| scenario | outcome | requests | approval → token |', '|---|---|---|---|', ...lines].join('\n'));
    },
  };
}

/** A short label for how a login ended. */
export function outcomeOf(settled: PromiseSettledResult<unknown>): string {
  if (settled.status === 'fulfilled') return 'granted';
  const error = settled.reason as { name?: string; code?: string; source?: string };
  return `${error.name ?? 'Error'} (${error.code ?? '?'}${error.source ? `, ${error.source}` : ''})`;
}
