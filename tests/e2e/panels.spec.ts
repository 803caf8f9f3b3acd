import { Page } from '@playwright/test';
import { Running } from './support/stack';
import { CPU, SERVICE } from './support/regression';
import { expect, test } from './support/generated';

// The series panels as the official app shows them, over the worker's backend of generated data.
let harness: Running;
test.beforeEach(({ generated }) => {
  ({ harness } = generated);
});

function explore(params: Record<string, string>) {
  const q = new URLSearchParams({
    'var-dataSource': 'pyroscope',
    'var-profileMetricId': CPU,
    'var-serviceName': SERVICE,
    from: 'now-1h',
    to: 'now',
    ...params,
  });
  return `${harness.url}/a/grafana-pyroscope-app/explore?${q}`;
}

const panelHeader = (page: Page, title: string) => page.getByTestId(`data-testid Panel header ${title}`);

test('the main series panel is titled with what the profile type measures, in the flame graph and labels views', async ({
  page,
}) => {
  for (const explorationType of ['flame-graph', 'labels']) {
    await page.goto(explore({ explorationType }));
    await expect(panelHeader(page, 'CPU time consumed')).toBeVisible();
    await expect(page.getByTestId(`data-testid Panel header ${SERVICE} · ${CPU}`)).toHaveCount(0);
  }
});
