// Jest setup provided by Grafana scaffolding (browser-like tests only: node-environment tests have no DOM).
if (typeof window !== 'undefined') {
  require('./.config/jest-setup');
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
