// Preloaded into Azurite (node --require): its LokiJS metadata stores save every 5 s, so a killed Azurite loses up to
// 5 s of acknowledged writes (blobs, queue messages, table rows the durable engine relies on). Save a dirty store
// every 200 ms instead: the window shrinks to that. Saving only happens when something changed.
'use strict';
const Loki = require(require.resolve('lokijs', { paths: [process.cwd()] }));
const intervalMs = parseInt(process.env.GENAI_AZURITE_SAVE_MS || '200', 10);
const configure = Loki.prototype.configureOptions;
Loki.prototype.configureOptions = function (options, initialConfig) {
  if (options && options.autosave) {
    options = Object.assign({}, options, { autosaveInterval: intervalMs });
  }
  return configure.call(this, options, initialConfig);
};
