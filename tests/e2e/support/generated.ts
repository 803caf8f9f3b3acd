import { expect, test as base } from '@playwright/test';
import { clearTimeNanos, ingestPprof } from '../../support/pprof.mjs';
import { TestLlm, startTestLlm } from './llm-server';
import { Regression, ingestRegions, ingestRegression, ingestSpanProfiles } from './regression';
import { Running, fixturesAvailable, readFixture, startBackend, startHarness } from './stack';

export const SPAN_FIXTURE = 'pprof/single_group_with_optional_span_id.pb.gz';

/** A backend holding only generated data (and one span fixture), so the global one's service counts stay. */
export interface GeneratedStack {
  backend: Running & { dataDir: string };
  harness: Running;
  reg: Regression;
  /** start of the span-labelled profiles, unix ms */
  spansFrom: number;
}

/** Two more Grafanas in front of the generated backend: with the test LLM behind the LLM app, and with it disabled. */
export interface LlmStack {
  llm: TestLlm;
  withLlm: Running;
  disabled: Running;
}

// Worker-scoped: the spec files of one worker (the suite runs with one) share a single stack.
export const test = base.extend<{ consoleProblems: void }, { generated: GeneratedStack; llmStack: LlmStack }>({
  generated: [
    async ({}, use) => {
      const backend = await startBackend();
      let harness: Running | undefined;
      try {
        const reg = await ingestRegression(backend.url);
        const spansFrom = await ingestSpanProfiles(backend.url);
        await ingestRegions(backend.url);
        if (fixturesAvailable()) {
          await ingestPprof(backend.url, clearTimeNanos(readFixture(SPAN_FIXTURE)), 'span-fixture');
        }
        harness = await startHarness(backend.url);
        await use({ backend, harness, reg, spansFrom });
      } finally {
        harness?.stop();
        backend.stop();
      }
    },
    { scope: 'worker', timeout: 180_000 },
  ],
  llmStack: [
    async ({ generated }, use) => {
      const llm = await startTestLlm();
      const [withLlm, disabled] = await Promise.all([
        startHarness(generated.backend.url, ['--llm', llm.url]),
        startHarness(generated.backend.url, ['--llm-disabled']),
      ]);
      try {
        await use({ llm, withLlm, disabled });
      } finally {
        withLlm.stop();
        disabled.stop();
        await llm.stop();
      }
    },
    { scope: 'worker', timeout: 180_000 },
  ],
  // Every test fails on a console error or an uncaught exception in the page.
  consoleProblems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') {
          problems.push(`console.error: ${m.text()}`);
        }
      });
      await use();
      expect(problems, 'console errors and page errors').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
