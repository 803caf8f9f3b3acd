// Azurite with the interval of its garbage collector set (bench-recent): the emulator sweeps the extents of
// deleted blobs every 10 min, and with thousands of deletions behind it a sweep holds its event loop for up to
// 105 s (measured at 10x), a pause Azure itself does not have. Usage: node azuriteGc.cjs <interval ms> <main.js>
// <Azurite's arguments…>. The interval is read when Azurite builds its collector, from this module's exports.
'use strict';
const { join, dirname } = require('node:path');

const [interval, main] = process.argv.splice(2, 2);
require(join(dirname(main), 'utils/constants.js')).DEFAULT_GC_INTERVAL_MS = Number(interval);
require(main);
