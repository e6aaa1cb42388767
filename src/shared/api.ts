/** The shape of `window.api`, exposed by the preload (Electron) or the test bridge (Chromium). */
import type { Channel, EventChannel } from './channels';
import type { Input, Output } from './contract';
import type { Result } from './errors';

export interface InspectorApi {
  /** Calls one contract channel; never throws for handler errors, resolves with a Result. */
  call<C extends Channel>(channel: C, input: Input<C>): Promise<Result<Output<C>>>;
  /** Listens to an event main pushes (`station.event`); returns the unsubscribe. Payloads are unvalidated here: check them with the schema. */
  on?(event: EventChannel, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    api: InspectorApi;
  }
}
