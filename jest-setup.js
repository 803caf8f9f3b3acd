// Jest setup provided by Grafana scaffolding (browser-like tests only: node-environment tests have no DOM).
if (typeof window !== 'undefined') {
  require('./.config/jest-setup');
  // waitFor/findBy* give up after 1 s by default: on a loaded 2-core machine a hook's first load (importing
  // @grafana/scenes, rendering) took longer than that, and the test failed for the machine's sake, not the code's.
  require('@testing-library/react').configure({ asyncUtilTimeout: 15_000 });
  // Browsers have it, jsdom does not; @grafana/scenes creates one when its modules load.
  global.IntersectionObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
    takeRecords() {
      return [];
    }
  };
}

// @grafana/llm and scenes expect the WHATWG streams a browser has.
Object.assign(global, require('node:stream/web'));
