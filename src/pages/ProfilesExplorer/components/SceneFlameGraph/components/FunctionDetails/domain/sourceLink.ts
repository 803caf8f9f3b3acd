/** The version-control labels a service may carry (Pyroscope's SDKs and Alloy set them from build info). */
export interface SourceLabels {
  repository?: string;
  gitRef?: string;
  rootPath?: string;
}

export const SOURCE_LABEL_NAMES = ['service_repository', 'service_git_ref', 'service_root_path'] as const;

/** https://host/owner/repo from https, ssh (git@host:owner/repo.git) and scheme-less forms. */
export function repositoryUrl(repository: string): string | undefined {
  const r = repository.trim().replace(/\.git$/, '');
  const ssh = /^(?:ssh:\/\/)?git@([^:/]+)[:/](.+)$/.exec(r);
  if (ssh) {
    return `https://${ssh[1]}/${ssh[2]}`;
  }
  if (/^https?:\/\//.test(r)) {
    return r.replace(/\/+$/, '');
  }
  return /^[\w.-]+\.[a-z]{2,}\//i.test(r) ? `https://${r.replace(/\/+$/, '')}` : undefined;
}

/**
 * A link to the line in the service's repository, or undefined when the file cannot be placed in it (the
 * standard library, a dependency, a build machine's absolute path outside the root path).
 */
export function sourceLink(labels: SourceLabels, file: string, line: number): string | undefined {
  const repo = labels.repository ? repositoryUrl(labels.repository) : undefined;
  if (!repo || !file) {
    return undefined;
  }
  const repoPath = repo.replace(/^https?:\/\//, '');
  const root = (labels.rootPath ?? '').replace(/^\/+|\/+$/g, '');
  let path: string | undefined;
  const inModule = file.indexOf(`${repoPath}/`);
  if (inModule >= 0) {
    // Go module paths name the repository: github.com/org/repo/pkg/file.go; a /vN major version suffix of the
    // module path is rarely a folder of the repository
    path = file.slice(inModule + repoPath.length + 1).replace(/^v\d+\//, '');
  } else if (file.startsWith('/')) {
    const rooted = root ? file.indexOf(`/${root}/`) : -1;
    path = rooted >= 0 ? file.slice(rooted + root.length + 2) : undefined;
    if (path !== undefined && root) {
      path = `${root}/${path}`;
    }
  } else if (!/^[\w.-]+\.[a-z]{2,}\//i.test(file)) {
    path = root ? `${root}/${file}` : file;
  }
  if (!path) {
    return undefined;
  }
  const ref = encodeURIComponent(labels.gitRef || 'HEAD').replace(/%2F/g, '/');
  const blob = /gitlab/.test(repo) ? '-/blob' : 'blob';
  return `${repo}/${blob}/${ref}/${path}${line > 0 ? `#L${line}` : ''}`;
}
