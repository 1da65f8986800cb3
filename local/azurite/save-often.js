// Preloaded into Azurite (node --require) so that what it acknowledged survives a kill.
//
// Azurite keeps its metadata (blobs, queue messages, table rows) in LokiJS databases in memory and saves each one on
// a timer (every 5 s). It answers a write as soon as the write is in memory, so a SIGKILL lost what it had
// acknowledged since the last save: a job output the stack had uploaded and recorded as uploaded, a queue message of
// the durable engine (and with it a run). Two changes:
// - Durable acknowledgements: a response is sent only once every database of its service (blob, queue or table) that
//   has unsaved changes has saved them (a save that started after the change, and has finished: LokiJS writes a
//   temporary file and renames it). Saves are shared: every response waiting meanwhile is released by the same save.
//   GENAI_AZURITE_DURABLE_ACKS=0 turns this off.
// - Each dirty database is also saved every 200 ms (GENAI_AZURITE_SAVE_MS) instead of every 5 s.
'use strict';
const http = require('http');
const path = require('path');
const Loki = require(require.resolve('lokijs', { paths: [process.cwd()] }));
const intervalMs = parseInt(process.env.GENAI_AZURITE_SAVE_MS || '200', 10);
const durableAcks = process.env.GENAI_AZURITE_DURABLE_ACKS !== '0';

/** Every database Azurite saves to disk. */
const databases = [];

/** The service (blob, queue, table) each of Azurite's ports serves, from its command line. */
const services = new Map();
for (const service of ['blob', 'queue', 'table']) {
  const at = process.argv.indexOf(`--${service}Port`);
  if (at > 0) {
    services.set(parseInt(process.argv[at + 1], 10), service);
  }
}

/** The databases a response of this port's service may depend on: that service's own (`__azurite_db_queue__.json`,
 * `__azurite_db_queue_extent__.json`, ...); all of them when the port is not known. A queue poll then waits for the
 * small queue database only, not for a save of the large table database the durable engine's history lives in. */
function databasesOf(response) {
  const service = services.get(response.req && response.req.socket ? response.req.socket.localPort : undefined);
  return service === undefined
    ? databases
    : databases.filter(db => path.basename(db.filename || '').startsWith(`__azurite_db_${service}`));
}

const configure = Loki.prototype.configureOptions;
Loki.prototype.configureOptions = function (options, initialConfig) {
  if (options && options.autosave) {
    options = Object.assign({}, options, { autosaveInterval: intervalMs });
    if (!databases.includes(this)) {
      databases.push(this);
    }
  }
  return configure.call(this, options, initialConfig);
};

/** Whether the database holds changes not yet on disk: dirty, or a save of them still being written. */
function unsaved(db) {
  return db.autosaveDirty() || db.throttledSavePending === true;
}

/** Resolves once a save that starts now or after the one being written has finished (LokiJS queues the callback of
 * a save requested while another is being written, and runs one more save for it). */
function saved(db) {
  return new Promise(resolve => db.saveDatabase(() => resolve()));
}

if (durableAcks) {
  const end = http.ServerResponse.prototype.end;
  http.ServerResponse.prototype.end = function (...args) {
    const pending = databasesOf(this).filter(unsaved);
    if (pending.length === 0) {
      return end.apply(this, args);
    }

    const send = () => {
      try {
        end.apply(this, args);
      } catch (e) {
        process.emitWarning(`save-often: could not send a held response: ${e}`); // never an unhandled rejection
      }
    };
    Promise.all(pending.map(saved)).then(send, send);
    return this;
  };
}
