/**
 * MQTT channel (mqtt.js): every case's result goes through the outbox at QoS 1 and is marked sent
 * only on the broker's PUBACK; one drain loop at a time with one message in flight, so a reconnect
 * never sends a row twice (mqtt.js itself resends the in-flight one with DUP set). Topics under the
 * configured base:
 *   <topic>/result  one JSON StationResult per case (QoS configured, default 1)
 *   <topic>/last    the last result, retained (a new subscriber learns the current part at once)
 *   <topic>/state   birth "online" / last will "offline", retained
 *   <topic>/queue   queue depth, retained, QoS 0
 *   <topic>/correction  a reviewer's decision on a published result (names its resultId) and the case verdict it leaves (correctedVerdict), via the outbox
 *   <topic>/findings    a case's non-deciding findings (grounding boxes), after its result, via the outbox
 *   <topic>/explanation a case's recorded explanation maps (method, class, regions, map SHA-256), after its result, via the outbox
 */
import { EventEmitter } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import type { MqttConfig } from './config';
import type { StationLedger } from './ledger';
import type { StationExplanation } from './explanation';
import type { StationCorrection, StationFindings, StationResult } from './result';

export const MQTT_CHANNEL = 'mqtt';

export function mqttTopics(base: string) {
  return { result: `${base}/result`, last: `${base}/last`, state: `${base}/state`, queue: `${base}/queue`, correction: `${base}/correction`, findings: `${base}/findings`, explanation: `${base}/explanation` };
}

/** Emits `connection` (true | false) when the link to the broker comes up or goes down. */
export class MqttPublisher extends EventEmitter {
  private client: MqttClient | undefined;
  private draining = false;
  private again = false;
  private closed = false;
  readonly topics: ReturnType<typeof mqttTopics>;
  connected = false;

  constructor(
    private readonly cfg: MqttConfig,
    private readonly station: { id: string; line: string },
    private readonly ledger: StationLedger,
    private readonly log: (line: string) => void = () => {},
  ) {
    super();
    this.topics = mqttTopics(cfg.topic);
  }

  /** The outbox rows a recorded case adds for this channel. */
  outbox = (r: StationResult) => [{ channel: MQTT_CHANNEL, topic: this.topics.result, payload: JSON.stringify(r) }];
  correctionOutbox = (c: StationCorrection) => [{ channel: MQTT_CHANNEL, topic: this.topics.correction, payload: JSON.stringify(c) }];
  findingsOutbox = (f: StationFindings) => [{ channel: MQTT_CHANNEL, topic: this.topics.findings, payload: JSON.stringify(f) }];
  explanationOutbox = (x: StationExplanation) => [{ channel: MQTT_CHANNEL, topic: this.topics.explanation, payload: JSON.stringify(x) }];

  private stateMessage(state: 'online' | 'offline'): string {
    return JSON.stringify({ station: this.station.id, line: this.station.line, state, at: new Date().toISOString() });
  }

  start(): void {
    const password = this.cfg.password_env ? process.env[this.cfg.password_env] : undefined;
    this.client = mqtt.connect(this.cfg.url, {
      clientId: this.cfg.client_id ?? `inspector-${this.station.id}`,
      clean: true,
      reconnectPeriod: 500,
      connectTimeout: 5000,
      ...(this.cfg.username ? { username: this.cfg.username } : {}),
      ...(password ? { password } : {}),
      will: { topic: this.topics.state, payload: Buffer.from(this.stateMessage('offline')), qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      this.connected = true;
      this.emit('connection', true);
      this.log(`mqtt: connected to ${this.cfg.url}`);
      this.client!.publish(this.topics.state, this.stateMessage('online'), { qos: 1, retain: true });
      this.kick();
    });
    this.client.on('close', () => {
      if (this.connected) {
        this.log('mqtt: disconnected; results wait in the outbox');
        this.connected = false;
        this.emit('connection', false);
      }
    });
    this.client.on('error', (e) => this.log(`mqtt: ${e.message}`));
  }

  /** Something new is in the outbox (or the link is back): send what is unsent, in order. */
  kick(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      do {
        this.again = false;
        for (;;) {
          if (this.closed || !this.connected || !this.client) return;
          const row = this.ledger.nextUnsent(MQTT_CHANNEL);
          if (!row) break;
          // Resolves on PUBACK; survives a reconnect (mqtt.js keeps it in its outgoing store).
          await this.client.publishAsync(row.topic, row.payload, { qos: this.cfg.qos, retain: row.retain });
          this.ledger.markSent(row.id);
          this.emit('sent', row.id, row.topic, row.caseUid);
          if (row.topic === this.topics.result) this.client.publish(this.topics.last, row.payload, { qos: 1, retain: true });
        }
      } while (this.again);
    } catch (e) {
      this.log(`mqtt: publish failed (${(e as Error).message}); kept in the outbox`);
    } finally {
      this.draining = false;
    }
  }

  queueDepth(depth: number): void {
    if (this.connected) this.client?.publish(this.topics.queue, JSON.stringify({ depth, at: new Date().toISOString() }), { qos: 0, retain: true });
  }

  /** Clean stop: "offline" is published on purpose (the will covers crashes). */
  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    if (!c) return;
    if (this.connected) await c.publishAsync(this.topics.state, this.stateMessage('offline'), { qos: 1, retain: true }).catch(() => {});
    await c.endAsync(false).catch(() => {});
  }
}
