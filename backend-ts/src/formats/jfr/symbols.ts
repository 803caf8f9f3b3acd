// Names the JVM generates per run (lambda classes, reflection accessors, unpacked native libraries with a random
// suffix) would give every process its own frame names and split the flame graph. Pyroscope's JFR reader folds
// them to one stable name per symbol, and so must we for the same recording to yield the same profile.

// org/example/Service$$Lambda$669/0x0000000800fd7318, Fib$$Lambda.0x00007ffa600c4da0, App$$Lambda$4/1283928880
const LAMBDA = /^(.+\$\$Lambda)(?:\$?\d*[./](?:0x)?[\da-f]+|\d+)$/;
const REFLECT_ACCESSOR = /^(jdk\/internal\/reflect\/GeneratedMethodAccessor)\d+$/;
// libzstd-jni-1.5.1-16931311898282279136.so, optionally under ./tmp and "(deleted)"
const ZSTD_JNI = /^(?:\.?\/tmp\/)?libzstd-jni-\d+\.\d+\.\d+-\d+\.so(?: \(deleted\))?$/;
// ./tmp/libamazonCorrettoCryptoProvider109b39cf33c563eb.so, amazonCorrettoCryptoProviderNativeLibraries.<hex>/libcrypto.so
const CORRETTO =
  /^(?:\.?\/tmp\/)?(?:lib)?amazonCorrettoCryptoProvider(?:NativeLibraries\.)?[0-9a-f]{16}(?:\/libcrypto|\/libamazonCorrettoCryptoProvider)?\.so(?: \(deleted\))?$/;
// Only the build the Pyroscope agent shipped when this rule was written; other builds keep their names.
const PYROSCOPE_ASYNC_PROFILER =
  /^(?:\.?\/tmp\/)?libasyncProfiler-(?:linux-arm64|linux-musl-x64|linux-x64|macos)-17b9a1d8156277a98ccc871afa9a8f69215f92\.so(?: \(deleted\))?$/;

export function normalizeSymbol(s: string): string {
  // Every rule needs a '$' or a ".so" suffix; almost no symbol gets past these two checks to the regexes.
  if (s.includes('$$Lambda')) {
    return s.replace(LAMBDA, '$1_');
  }
  if (s.endsWith('.so') || s.endsWith('.so (deleted)')) {
    if (s.includes('libzstd-jni-')) {
      return ZSTD_JNI.test(s) ? 'libzstd-jni-_.so' : s;
    }
    if (s.includes('amazonCorrettoCryptoProvider')) {
      return CORRETTO.test(s) ? 'libamazonCorrettoCryptoProvider_.so' : s;
    }
    if (s.includes('libasyncProfiler-')) {
      return PYROSCOPE_ASYNC_PROFILER.test(s) ? 'libasyncProfiler-_.so' : s;
    }
    return s;
  }
  if (s.startsWith('jdk/internal/reflect/GeneratedMethodAccessor')) {
    return s.replace(REFLECT_ACCESSOR, '$1_');
  }
  return s;
}
