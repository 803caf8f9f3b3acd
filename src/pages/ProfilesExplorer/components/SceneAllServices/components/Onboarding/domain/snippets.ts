export interface OnboardingSnippet {
  id: string;
  label: string;
  /** where to read more, in Pyroscope's own documentation */
  docs: string;
  code: string;
}

const DOCS = 'https://grafana.com/docs/pyroscope/latest/configure-client';

/** How to send profiles to `serverUrl` from each SDK, Alloy, or by hand: everything this backend ingests. */
export function onboardingSnippets(serverUrl: string, service = 'my-service'): OnboardingSnippet[] {
  return [
    {
      id: 'go',
      label: 'Go',
      docs: `${DOCS}/language-sdks/go_push/`,
      code: `// go get github.com/grafana/pyroscope-go
import "github.com/grafana/pyroscope-go"

pyroscope.Start(pyroscope.Config{
  ApplicationName: "${service}",
  ServerAddress:   "${serverUrl}",
  ProfileTypes: []pyroscope.ProfileType{
    pyroscope.ProfileCPU, pyroscope.ProfileAllocSpace, pyroscope.ProfileInuseSpace,
  },
})`,
    },
    {
      id: 'java',
      label: 'Java',
      docs: `${DOCS}/language-sdks/java/`,
      code: `# pyroscope.jar from https://github.com/grafana/pyroscope-java/releases
PYROSCOPE_APPLICATION_NAME=${service} \\
PYROSCOPE_SERVER_ADDRESS=${serverUrl} \\
java -javaagent:pyroscope.jar -jar app.jar`,
    },
    {
      id: 'dotnet',
      label: '.NET',
      docs: `${DOCS}/language-sdks/dotnet/`,
      code: `# the Pyroscope .NET profiler unpacked in /dotnet
PYROSCOPE_APPLICATION_NAME=${service}
PYROSCOPE_SERVER_ADDRESS=${serverUrl}
PYROSCOPE_PROFILING_ENABLED=1
CORECLR_ENABLE_PROFILING=1
CORECLR_PROFILER={BD1A650D-AC5D-4896-B64F-D6FA25D6B26A}
CORECLR_PROFILER_PATH=/dotnet/Pyroscope.Profiler.Native.so
LD_PRELOAD=/dotnet/Pyroscope.Linux.ApiWrapper.x64.so`,
    },
    {
      id: 'python',
      label: 'Python',
      docs: `${DOCS}/language-sdks/python/`,
      code: `# pip install pyroscope-io
import pyroscope

pyroscope.configure(
    application_name="${service}",
    server_address="${serverUrl}",
)`,
    },
    {
      id: 'nodejs',
      label: 'Node.js',
      docs: `${DOCS}/language-sdks/nodejs/`,
      code: `// npm install @pyroscope/nodejs
const Pyroscope = require('@pyroscope/nodejs');

Pyroscope.init({ serverAddress: '${serverUrl}', appName: '${service}' });
Pyroscope.start();`,
    },
    {
      id: 'rust',
      label: 'Rust',
      docs: `${DOCS}/language-sdks/rust/`,
      code: `// cargo add pyroscope pyroscope_pprofrs
use pyroscope::PyroscopeAgent;
use pyroscope_pprofrs::{pprof_backend, PprofConfig};

let agent = PyroscopeAgent::builder("${serverUrl}", "${service}")
    .backend(pprof_backend(PprofConfig::new().sample_rate(100)))
    .build()?;
let running = agent.start()?;`,
    },
    {
      id: 'ruby',
      label: 'Ruby',
      docs: `${DOCS}/language-sdks/ruby/`,
      code: `# gem install pyroscope
require 'pyroscope'

Pyroscope.configure do |config|
  config.application_name = "${service}"
  config.server_address = "${serverUrl}"
end`,
    },
    {
      id: 'alloy',
      label: 'Grafana Alloy',
      docs: `${DOCS}/grafana-alloy/`,
      code: `pyroscope.write "backend" {
  endpoint {
    url = "${serverUrl}"
  }
}

// pulls Go's /debug/pprof endpoints; pyroscope.ebpf or pyroscope.java profile without code changes
pyroscope.scrape "default" {
  targets    = [{"__address__" = "localhost:6060", "service_name" = "${service}"}]
  forward_to = [pyroscope.write.backend.receiver]
}`,
    },
    {
      id: 'curl',
      label: 'pprof file',
      docs: 'https://grafana.com/docs/pyroscope/latest/reference-server-api/',
      code: `curl -X POST --data-binary @cpu.pb.gz \\
  '${serverUrl}/ingest?name=${service}&format=pprof'`,
    },
  ];
}

/** The server the data source points at when Grafana tells us (direct access); a placeholder otherwise. */
export function serverUrlOf(dataSourceUrl: string | undefined): string {
  return dataSourceUrl && /^https?:\/\//.test(dataSourceUrl)
    ? dataSourceUrl.replace(/\/+$/, '')
    : 'http://localhost:4040';
}
