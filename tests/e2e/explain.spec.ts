import { Page } from '@playwright/test';
import { Running } from './support/stack';
import { CPU, Regression, SERVICE } from './support/regression';
import { FINAL_SENTENCE, TestLlm } from './support/llm-server';
import { expect, test } from './support/generated';
import { shot } from './support/page';

// Three Grafanas in front of the backend of generated data: with a working LLM app (the test LLM behind it),
// with the LLM app installed but disabled, and without it.
let llm: TestLlm;
let withLlm: Running;
let disabled: Running;
let absent: Running;
let reg: Regression;
test.beforeEach(({ generated, llmStack }) => {
  ({ reg, harness: absent } = generated);
  ({ llm, withLlm, disabled } = llmStack);
});

function url(h: Running, params: Record<string, string | number>) {
  const q = new URLSearchParams({
    from: String(reg.baseline.start - 5 * 60_000),
    to: String(reg.comparison.end + 5 * 60_000),
    'var-dataSource': 'pyroscope',
    'var-serviceName': SERVICE,
    'var-profileMetricId': CPU,
  });
  for (const [k, v] of Object.entries(params)) {
    q.set(k, String(v));
  }
  return `${h.url}/a/grafana-pyroscope-app/explore?${q}`;
}

/** Records, in the page, every text the streaming answer shows (a MutationObserver: no polling gaps). */
async function recordStream(page: Page) {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __partials: string[] }).__partials = seen;
    new MutationObserver(() => {
      const text = document.querySelector('[data-testid="explain-streaming"]')?.textContent ?? '';
      if (text && seen[seen.length - 1] !== text) {
        seen.push(text);
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

const partials = (page: Page) => page.evaluate(() => (window as unknown as { __partials: string[] }).__partials);

test('Explain streams the answer into the side panel, and a follow-up works', async ({ page }, info) => {
  llm.requests.length = 0;
  await page.goto(url(withLlm, { explorationType: 'flame-graph' }));
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
  const button = page.getByTestId('explain-button');
  await expect(button).toBeEnabled();
  await recordStream(page);
  // Each chunk is sent only once the page shows the one before, so the stream is seen growing however slow the
  // browser is; then the rest of the answer goes on its own pace.
  llm.holdChunks();
  try {
    await button.click();
    await expect(page.getByTestId('explain-panel')).toBeVisible();
    const streaming = page.getByTestId('explain-streaming');
    for (const shown of ['Summary.', 'The first function in the data is prepareOrder', 'It dominates the profile.']) {
      llm.releaseChunk();
      await expect(streaming).toContainText(shown);
    }
  } finally {
    llm.releaseAll();
  }
  const first = page.getByTestId('explain-answer').first();
  await expect(first).toContainText(FINAL_SENTENCE);
  // Several chunks were on screen before the end, each longer than the last, none of them the whole answer.
  const seen = await partials(page);
  expect(seen.length).toBeGreaterThanOrEqual(3);
  expect(seen.every((p) => !p.includes(FINAL_SENTENCE))).toBe(true);
  expect(seen.every((p, i) => i === 0 || p.length > seen[i - 1].length)).toBe(true);
  await expect(first).toContainText('The first function in the data is prepareOrder');
  await expect(first).toContainText(FINAL_SENTENCE);
  // The compact form sent: service, unit, time range, top functions.
  const prompt = llm.requests[0].messages.find((m) => m.role === 'user')!.content;
  expect(prompt).toContain(`service "${SERVICE}"`);
  expect(prompt).toContain('values are nanoseconds');
  expect(prompt).toMatch(/Time range: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d – .* UTC/);
  expect(prompt).toContain('- main > handleCheckout > prepareOrder: self');
  await shot(page, info, 'explain-answer');

  await page.getByTestId('explain-followup').fill('Why is prepareOrder slow?');
  await page.getByTestId('explain-ask').click();
  await expect(page.getByTestId('explain-question')).toHaveText('Why is prepareOrder slow?');
  await expect(page.getByTestId('explain-answer').nth(1)).toContainText('you asked "Why is prepareOrder slow?"');
  await expect(page.getByTestId('explain-answer').nth(1)).toContainText(FINAL_SENTENCE);
  const followUp = llm.requests[llm.requests.length - 1].messages;
  expect(followUp.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
  expect(followUp[2].content).toContain(FINAL_SENTENCE);
  await shot(page, info, 'explain-follow-up');
});

test('Explain of one selected profile (var-profile) says so and is given that profile, not the merge', async ({
  page,
}) => {
  llm.requests.length = 0;
  const at = Math.floor((reg.baseline.start + 60_000) / 1000) * 1000;
  await page.goto(url(withLlm, { explorationType: 'flame-graph', 'var-profile': `@${at}{}` }));
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
  const total = Number(await page.getByTestId('flamegraph-total').getAttribute('data-value'));
  expect(total).toBe(reg.sideTotal / reg.profiles);
  await page.getByTestId('explain-button').click();
  await expect(page.getByTestId('explain-answer').first()).toContainText(FINAL_SENTENCE);
  const prompt = llm.requests[0].messages.find((m) => m.role === 'user')!.content;
  expect(prompt).toContain(
    `Only the profile stored at ${new Date(at).toISOString()}, not the merge of the time range.`
  );
});

test('Explain in the diff view is given the computed changes and shows them beside the answer', async ({
  page,
}, info) => {
  llm.requests.length = 0;
  await page.goto(
    url(withLlm, {
      explorationType: 'diff-flame-graph',
      diffFrom: reg.baseline.start,
      diffTo: reg.baseline.end,
      'diffFrom-2': reg.comparison.start,
      'diffTo-2': reg.comparison.end,
    })
  );
  await expect(page.locator('[data-testid="flamegraph"] g.frame[name="convertCurrency"]')).toBeVisible();
  await page.getByTestId('explain-button').click();
  const rows = page.getByTestId('explain-changes');
  const grew = rows.locator('[data-testid="explain-change-row"][data-name="convertCurrency"]').first();
  await expect(grew).toContainText('self 16.67 % → 33.33 %');
  await expect(grew).toContainText('+16.67 pp; +100.00 %');
  const shrank = rows.locator('[data-testid="explain-change-row"][data-name="sendToPostProcessor"]').first();
  await expect(shrank).toContainText('self 33.33 % → 16.67 %');
  await expect(shrank).toContainText('-16.67 pp; -50.00 %');
  await expect(page.getByTestId('explain-answer').first()).toContainText(
    'The first function in the data is convertCurrency'
  );
  // The model got exactly those lines.
  const prompt = llm.requests[0].messages.find((m) => m.role === 'user')!.content;
  expect(prompt).toContain(`- ${await grew.textContent()}`);
  expect(prompt).toContain(`- ${await shrank.textContent()}`);
  await shot(page, info, 'explain-diff');
});

test('Explain is disabled and says why when the LLM app is disabled or not installed', async ({ page }, info) => {
  await page.goto(url(disabled, { explorationType: 'flame-graph' }));
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
  await expect(page.getByTestId('explain-button')).toBeDisabled();
  await expect(page.getByTestId('explain-unavailable')).toHaveText('The Grafana LLM plugin is not enabled.');
  await shot(page, info, 'explain-disabled');

  // Not installed: Grafana does not list the app, so nothing is asked of its routes (they would answer 404).
  const llmCalls: string[] = [];
  page.on('request', (r) => r.url().includes('/api/plugins/grafana-llm-app/') && llmCalls.push(r.url()));
  await page.goto(url(absent, { explorationType: 'flame-graph' }));
  await expect(page.locator('[data-testid="flamegraph"] g.frame').first()).toBeVisible();
  await expect(page.getByTestId('explain-button')).toBeDisabled();
  await expect(page.getByTestId('explain-unavailable')).toHaveText('The Grafana LLM app is not installed.');
  // The rest of the view works as usual.
  await page.getByTestId('flamegraph-search').fill('convertCurrency');
  await expect(page.getByTestId('flamegraph-search-count')).toHaveAttribute('data-count', '1');
  expect(llmCalls).toEqual([]);
});
