/**
 * What the two out-of-process OPC UA test peers (opcuaClient.ts: a PLC/MES reading results and
 * triggering parts; visionClient.ts: a PLC driving the OPC 40100 state machine) share: a node-opcua
 * client with SignAndEncrypt + Basic256Sha256 and its own certificate store, a session as the user
 * in OPCUA_USER/OPCUA_PASSWORD (absent: anonymous), and the station object found by its namespace.
 * Env: OPCUA_ENDPOINT, OPCUA_PKI, OPCUA_USER, OPCUA_PASSWORD, OPCUA_STATION.
 */
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua';

export const env = (k: string) => process.env[k] ?? '';
export const out = (o: Record<string, unknown>) => process.stdout.write(JSON.stringify(o) + '\n');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client script's entry: runs `main`, printing `{step: 'error'}` for its failure (exit 1) or for a
 * stray rejection before `main` calls `finished` (node-opcua's teardown may reject after that).
 */
export function runClient(main: (finished: () => void) => Promise<void>): void {
  let done = false;
  process.on('unhandledRejection', (e) => {
    if (!done) out({ step: 'error', message: String(e) });
  });
  main(() => (done = true)).then(
    () => process.exit(0),
    (e: unknown) => {
      out({ step: 'error', message: (e as Error).message });
      process.exit(1);
    },
  );
}

export interface StationPeer {
  client: OPCUAClient;
  session: ClientSession;
  /** Namespace indices: the OPC 40100 Machine Vision companion spec and the station's own. */
  mv: number;
  own: number;
  nsArray: string[];
  /** The station object's node id (`ns=<own>;s=<station id>`). */
  obj: string;
  close(): Promise<void>;
}

export async function connectStation(app: { applicationName: string; applicationUri: string }, onStep: (step: string) => void = () => {}): Promise<StationPeer> {
  const station = env('OPCUA_STATION');
  const certificateManager = new OPCUACertificateManager({ rootFolder: env('OPCUA_PKI'), automaticallyAcceptUnknownCertificate: true });
  await certificateManager.initialize();
  const client = OPCUAClient.create({
    ...app,
    securityMode: MessageSecurityMode.SignAndEncrypt,
    securityPolicy: SecurityPolicy.Basic256Sha256,
    endpointMustExist: false,
    clientCertificateManager: certificateManager,
    connectionStrategy: { maxRetry: 0, initialDelay: 100 },
    requestedSessionTimeout: 60_000,
  });
  await client.connect(env('OPCUA_ENDPOINT'));
  onStep('connected');
  const identity: UserIdentityInfo = env('OPCUA_USER') ? { type: UserTokenType.UserName, userName: env('OPCUA_USER'), password: env('OPCUA_PASSWORD') } : { type: UserTokenType.Anonymous };
  const session = await client.createSession(identity);
  onStep('session');
  const nsArray = (await session.readNamespaceArray()) as string[];
  const mv = nsArray.indexOf('http://opcfoundation.org/UA/MachineVision');
  // The station's own namespace: the one where `<station>.StationId` reads back the station id.
  let own = -1;
  for (let i = 1; i < nsArray.length && own < 0; i++) {
    const dv = await session.read({ nodeId: `ns=${i};s=${station}.StationId`, attributeId: AttributeIds.Value });
    if (dv.value.value === station) own = i;
  }
  if (own < 0) throw new Error(`no station object ${station} in ${nsArray.join(', ')}`);
  return {
    client,
    session,
    mv,
    own,
    nsArray,
    obj: `ns=${own};s=${station}`,
    async close() {
      await session.close();
      await client.disconnect();
      await certificateManager.dispose();
    },
  };
}
