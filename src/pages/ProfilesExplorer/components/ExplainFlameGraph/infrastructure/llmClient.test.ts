const installed = jest.fn<Promise<boolean>, [string]>();
const health = jest.fn();

jest.mock('@grafana/runtime', () => ({ isAppPluginInstalled: (id: string) => installed(id) }));
jest.mock('@grafana/llm', () => ({ llm: { health: () => health() } }));

describe('LLM availability', () => {
  beforeEach(() => {
    jest.resetModules();
    installed.mockReset();
    health.mockReset();
  });

  const availability = () => require('./llmClient').llmAvailability();

  it('not installed: says so without calling the app (its routes would answer 404)', async () => {
    installed.mockResolvedValue(false);
    await expect(availability()).resolves.toEqual({
      enabled: false,
      reason: 'The Grafana LLM app is not installed.',
    });
    expect(installed).toHaveBeenCalledWith('grafana-llm-app');
    expect(health).not.toHaveBeenCalled();
  });

  it('installed but disabled or without a provider: the app health says why', async () => {
    installed.mockResolvedValue(true);
    health.mockResolvedValue({ configured: false, ok: false, error: 'The Grafana LLM plugin is not enabled.' });
    await expect(availability()).resolves.toEqual({
      enabled: false,
      reason: 'The Grafana LLM plugin is not enabled.',
    });
  });

  it('enabled and healthy', async () => {
    installed.mockResolvedValue(true);
    health.mockResolvedValue({ configured: true, ok: true });
    await expect(availability()).resolves.toEqual({ enabled: true });
  });

  it('never throws', async () => {
    installed.mockRejectedValue(new Error('boom'));
    health.mockRejectedValue(new Error('network down'));
    const a = await availability();
    expect(a.enabled).toBe(false);
    expect(a.reason).toContain('network down');
  });
});
