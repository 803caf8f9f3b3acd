import { Page, TestInfo, expect, test } from '@playwright/test';

/** The harness (Grafana stand-in) and backend URLs the e2e global set-up exported. */
export const harness = () => process.env.E2E_HARNESS_URL!;
export const backend = () => process.env.E2E_BACKEND_URL!;

/** The app's Explore page over the last hour on the provisioned data source, plus `q`. */
export const explore = (q: string) =>
  `${harness()}/a/grafana-pyroscope-app/explore?from=now-1h&to=now&var-dataSource=pyroscope&${q}`;

/** A full-page screenshot in the test's output folder, attached to its report. */
export async function shot(page: Page, info: TestInfo, name: string) {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}

/**
 * Every test of the calling spec file fails on a console error or an uncaught exception in the page: a view that
 * renders while throwing is not a passing view.
 */
export function failOnPageProblems() {
  let problems: string[] = [];
  test.beforeEach(({ page }) => {
    problems = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') {
        problems.push(`console.error: ${m.text()}`);
      }
    });
  });
  test.afterEach(() => {
    expect(problems, 'console errors and page errors').toEqual([]);
  });
}
