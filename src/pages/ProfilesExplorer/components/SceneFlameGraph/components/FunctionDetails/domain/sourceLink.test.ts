import { repositoryUrl, sourceLink } from './sourceLink';

describe('source links', () => {
  it('normalises repository URLs', () => {
    expect(repositoryUrl('git@github.com:acme/shop.git')).toBe('https://github.com/acme/shop');
    expect(repositoryUrl('https://github.com/acme/shop/')).toBe('https://github.com/acme/shop');
    expect(repositoryUrl('github.com/acme/shop')).toBe('https://github.com/acme/shop');
    expect(repositoryUrl('not a repo')).toBeUndefined();
  });

  const labels = { repository: 'https://github.com/acme/shop', gitRef: 'v1.2.0', rootPath: '' };

  it('maps a Go module path inside the repository', () => {
    expect(sourceLink(labels, 'github.com/acme/shop/internal/app/handle.go', 22)).toBe(
      'https://github.com/acme/shop/blob/v1.2.0/internal/app/handle.go#L22'
    );
  });

  it('maps relative files and absolute files under the root path', () => {
    expect(sourceLink({ ...labels, rootPath: 'svc' }, 'src/a.py', 3)).toBe(
      'https://github.com/acme/shop/blob/v1.2.0/svc/src/a.py#L3'
    );
    expect(sourceLink({ ...labels, rootPath: 'svc' }, '/build/svc/src/a.py', 3)).toBe(
      'https://github.com/acme/shop/blob/v1.2.0/svc/src/a.py#L3'
    );
  });

  it('gives no link outside the repository or without one', () => {
    expect(sourceLink(labels, '/usr/local/go/src/runtime/malloc.go', 950)).toBeUndefined();
    expect(sourceLink(labels, 'golang.org/x/net/http2/frame.go', 1)).toBeUndefined();
    expect(sourceLink({}, 'a.go', 1)).toBeUndefined();
  });

  it('defaults the ref to HEAD and uses GitLab blob paths', () => {
    expect(sourceLink({ repository: 'https://gitlab.com/acme/shop' }, 'a.go', 0)).toBe(
      'https://gitlab.com/acme/shop/-/blob/HEAD/a.go'
    );
  });
});
