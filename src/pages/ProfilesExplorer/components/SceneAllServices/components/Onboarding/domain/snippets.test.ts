import { onboardingSnippets, serverUrlOf } from './snippets';

describe('onboarding snippets', () => {
  it('cover every SDK, Alloy and a plain upload, each pointing at the server', () => {
    const s = onboardingSnippets('https://pyro.example:4040', 'shop');
    expect(s.map((x) => x.label)).toEqual([
      'Go',
      'Java',
      '.NET',
      'Python',
      'Node.js',
      'Rust',
      'Ruby',
      'Grafana Alloy',
      'pprof file',
    ]);
    for (const x of s) {
      expect(x.code).toContain('https://pyro.example:4040');
      expect(x.code).toContain('shop');
    }
  });

  it('uses the data source URL only when it is a server address, not the proxy path', () => {
    expect(serverUrlOf('http://pyroscope:4040/')).toBe('http://pyroscope:4040');
    expect(serverUrlOf('/api/datasources/proxy/uid/x')).toBe('http://localhost:4040');
    expect(serverUrlOf(undefined)).toBe('http://localhost:4040');
  });
});
