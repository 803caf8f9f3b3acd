// Jest setup provided by Grafana scaffolding (browser-like tests only: node-environment tests have no DOM).
if (typeof window !== 'undefined') {
  require('./.config/jest-setup');
}

// @grafana/llm and scenes expect the WHATWG streams a browser has.
Object.assign(global, require('node:stream/web'));
