import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStationConfig } from '../../core/station/config';
import { boundStationHistoryMemory } from '../../core/station/service';
import { HistoryAccess } from '../../host/history';
import { appPaths } from '../../host/paths';
import { startStation } from '../../host/station';
import { InspectorError } from '../../shared/errors';
import type { Command } from '../command';
import { withHost } from '../host';
import { historyDbPath } from '../historyDb';

const HELP = [
  'Usage: inspector station --config station.yaml [--db FILE] [--data-dir DIR] [--check]',
  '',
  'Runs a line station until SIGINT/SIGTERM: watches the configured hot folders, groups files into',
  'cases by serial, inspects each case with the packs and integrated verdict of the inspection',
  'config (as `inspector batch`), records it in the history, and publishes one result per case on',
  'MQTT, OPC UA and REST as configured. Each case is published exactly once across restarts.',
  '--check validates the configuration and exits. See docs/STATION.md.',
  '',
  'Exit status: 0 stopped cleanly (or --check passed), 1 a configuration or start error, 2 usage.',
].join('\n');

export const stationCommand: Command = {
  name: 'station',
  summary: 'line service: hot folder in, one verdict per case out on MQTT / OPC UA / REST, exactly once',
  help: HELP,
  async run(args) {
    const { values } = parseArgs({
      args,
      strict: true,
      options: { config: { type: 'string' }, db: { type: 'string' }, 'data-dir': { type: 'string' }, check: { type: 'boolean' }, json: { type: 'boolean' } },
    });
    if (!values.config) throw new InspectorError('USAGE', 'station needs --config station.yaml');
    const loaded = loadStationConfig(resolve(values.config));
    if (values.check) {
      process.stdout.write(`OK ${loaded.path}: station ${loaded.config.station.id} (line ${loaded.config.station.line}), ${loaded.config.watch.length} watched folder(s)\n`);
      return 0;
    }
    const dbFile = historyDbPath(values.db);
    const dataDir = values['data-dir'] ? resolve(values['data-dir']) : values.db ? dirname(dbFile) : appPaths().userDataDir;
    const history = new HistoryAccess(dbFile);
    // A long-running station keeps SQLite's memory small (its caches would otherwise grow with the file).
    boundStationHistoryMemory(history.get().db);
    const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    try {
      return await withHost(async (host) => {
        const service = await startStation({ worker: host.worker, history }, loaded, { dataDir, log });
        const c = service.channels;
        const ready = {
          event: 'ready',
          station: loaded.config.station.id,
          database: history.file,
          mqtt: loaded.config.publish.mqtt?.url ?? null,
          opcua: c.opcua?.endpointUrl ?? null,
          rest: c.rest?.url ?? null,
          pid: process.pid,
        };
        process.stdout.write(JSON.stringify(ready) + '\n');
        service.station.on('result', (r: { resultId: string; serial: string; verdict: string }) => {
          if (values.json) process.stdout.write(JSON.stringify({ event: 'result', resultId: r.resultId, serial: r.serial, verdict: r.verdict }) + '\n');
        });
        await new Promise<void>((resolveStop) => {
          const stop = () => resolveStop();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        log('stopping: finishing the current case');
        await service.close();
        return 0;
      });
    } finally {
      history.close();
    }
  },
};
