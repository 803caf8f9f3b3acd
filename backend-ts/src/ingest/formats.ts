// Registers the non-pprof format readers with the ingester (each format module stays HTTP-free).
import type { Ingester } from './ingester.js';

export function registerFormats(ingester: Ingester): void {
  void ingester;
}
