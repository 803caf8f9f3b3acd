// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// @grafana/llm and scenes expect the WHATWG streams a browser has.
Object.assign(global, require('node:stream/web'));
