// Stands in for node:child_process inside the bundled commander (tools/bundle.mjs): commander requires it when it
// loads, for executable subcommands, which Slipway does not use, and loading it costs every command child_process,
// net, dgram and their streams (~3 ms of CPU on Node 20). The real module is loaded on first use of any property
// (process.getBuiltinModule: Node >= 20.16, and Slipway needs 20.19).
'use strict';
module.exports = new Proxy(
  {},
  {
    get: (_, name) => process.getBuiltinModule('node:child_process')[name],
  },
);
