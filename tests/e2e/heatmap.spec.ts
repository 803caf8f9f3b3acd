import { Page } from '@playwright/test';
import { CPU, SERVICE, SPANS, SPAN_SERVICE, STACKS } from './support/regression';
import { expect, test } from './support/generated';
import { shot } from './support/page';

/** Whether the backend answers SelectHeatmap (the wire-compatibility issue adds it). */
async function servesHeatmap(backendUrl: string): Promise<boolean> {
  const now = Date.now();
  const r = await fetch(`${backendUrl}/querier.v1.QuerierService/SelectHeatmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      profileTypeID: CPU,
      labelSelector: '{}',
      start: now - 60_000,
      end: now,
      step: 15,
      queryType: 'HEATMAP_QUERY_TYPE_INDIVIDUAL',
    }),
  });
  return r.ok;
}

const total = (page: Page) => page.getByTestId('flamegraph-total');

async function openHeatmap(page: Page, url: string) {
  await page.goto(url);
  await expect(total(page)).toBeVisible();
  await page.getByText('Profiles heatmap and exemplars').click();
  await expect(page.getByTestId('heatmap-cell').first()).toBeVisible();
}

test('a heatmap cell and a series exemplar open the flame graph of exactly that profile', async ({
  page,
  generated,
}, info) => {
  test.skip(
    !(await servesHeatmap(generated.backend.url)),
    'this backend does not serve SelectHeatmap yet (the wire-compatibility branch adds it)'
  );
  const { harness, reg } = generated;
  const perProfile = STACKS.reduce((s, x) => s + x.before, 0);
  const q = new URLSearchParams({
    explorationType: 'flame-graph',
    from: String(reg.baseline.start - 5 * 60_000),
    to: String(reg.comparison.end + 5 * 60_000),
    'var-dataSource': 'pyroscope',
    'var-serviceName': SERVICE,
    'var-profileMetricId': CPU,
  });
  await openHeatmap(page, `${harness.url}/a/grafana-pyroscope-app/explore?${q}`);
  await expect(total(page)).toHaveAttribute('data-value', String(2 * reg.profiles * perProfile));

  // Every stored profile is counted in one cell, and each cell's exemplar is one whole profile.
  const cells = page.getByTestId('heatmap-cell');
  const counts = await cells.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
  expect(counts.reduce((a, b) => a + b, 0)).toBe(2 * reg.profiles);
  await expect(page.getByTestId('series-exemplar').first()).toBeVisible();
  await shot(page, info, 'heatmap');

  const cell = page.locator('[data-testid="heatmap-cell"]:not([data-value=""])').last();
  const value = await cell.getAttribute('data-value');
  expect(Number(value)).toBe(perProfile);
  await cell.click();
  await expect(page.getByTestId('opened-exemplar')).toBeVisible();
  await expect(total(page)).toHaveAttribute('data-value', value!);
  // Format v2 stores a UUID per profile: the cell opens it by profile_id_selector, not by instant and labels.
  expect(new URL(page.url()).searchParams.get('var-profile')).toMatch(
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
  );
  await shot(page, info, 'heatmap-cell-opened');

  // Back to the whole selection, then an exemplar on the series opens its profile.
  await page.getByTestId('close-exemplar').click();
  await expect(total(page)).toHaveAttribute('data-value', String(2 * reg.profiles * perProfile));
  const exemplar = page.getByTestId('series-exemplar').first();
  const exemplarValue = await exemplar.getAttribute('data-value');
  await exemplar.click({ force: true });
  await expect(total(page)).toHaveAttribute('data-value', exemplarValue!);
});

test('the span heatmap: a cell opens the flame graph of its span', async ({ page, generated }, info) => {
  test.skip(
    !(await servesHeatmap(generated.backend.url)),
    'this backend does not serve SelectHeatmap yet (the wire-compatibility branch adds it)'
  );
  const { harness, spansFrom } = generated;
  const q = new URLSearchParams({
    explorationType: 'flame-graph',
    from: String(spansFrom - 5 * 60_000),
    to: String(spansFrom + 8 * 60_000),
    'var-dataSource': 'pyroscope',
    'var-serviceName': SPAN_SERVICE,
    'var-profileMetricId': CPU,
  });
  await openHeatmap(page, `${harness.url}/a/grafana-pyroscope-app/explore?${q}`);
  await page.getByRole('radio', { name: 'Spans' }).check({ force: true });
  const cell = page.locator('[data-testid="heatmap-cell"]:not([data-span-id=""])').last();
  const spanId = await cell.getAttribute('data-span-id');
  const span = SPANS.find((s) => s.spanId === spanId);
  expect(span, `a span of the generated profiles: ${spanId}`).toBeDefined();
  await cell.click();
  await expect(page.getByTestId('span-selector')).toContainText(spanId!);
  // three profiles a minute apart, each holding this span's samples once
  await expect(total(page)).toHaveAttribute('data-value', String(3 * span!.value));
  await shot(page, info, 'heatmap-span-opened');
});
