/** The renderer's typed client over window.api: unwraps Results, throws coded errors. */
import type { Channel } from '../../shared/channels';
import type { Input, Output } from '../../shared/contract';
import { InspectorError } from '../../shared/errors';
import type {} from '../../shared/api';

export async function call<C extends Channel>(channel: C, input: Input<C>): Promise<Output<C>> {
  const result = await window.api.call(channel, input);
  if (!result.ok) throw InspectorError.fromInfo(result.error);
  return result.value;
}
