import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN_ID, ROUTES } from './constants';

describe('plugin.json', () => {
  const meta = JSON.parse(readFileSync(join(__dirname, '..', 'plugin.json'), 'utf8'));

  it('declares the id the code uses', () => {
    expect(meta.id).toBe(PLUGIN_ID);
    expect(meta.type).toBe('app');
  });

  it('has a page for every route, the explore page in the nav', () => {
    const paths = meta.includes.map((i: { path: string }) => i.path);
    for (const r of Object.values(ROUTES)) {
      expect(paths).toContain(`/a/%PLUGIN_ID%/${r}`);
    }
    expect(meta.includes.find((i: { path: string }) => i.path.endsWith('/explore'))).toMatchObject({
      addToNav: true,
      defaultNav: true,
    });
  });
});
