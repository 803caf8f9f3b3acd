import { Page, expect } from '@playwright/test';

export type ViewMode = 'Top Table' | 'Flame Graph' | 'Both';

/**
 * Switches the flame graph panel's view. Side by side the top table is only as tall as the graph and renders the
 * rows in view, so a test that reads every row (or one far down) shows the table alone first.
 */
export async function viewMode(page: Page, mode: ViewMode) {
  await page.getByTestId('view-mode').getByRole('radio', { name: mode, exact: true }).click();
  const attr = mode === 'Top Table' ? 'topTable' : mode === 'Flame Graph' ? 'flameGraph' : 'both';
  await expect(page.getByTestId('flamegraph-container')).toHaveAttribute('data-view', attr);
}
