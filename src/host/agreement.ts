/** `agreement.record`: the systems' recorded runs on one image compared and recorded (core/agreement). */
import { recordRunsAgreement } from '../core/agreement/index';
import type { Input, Output } from '../shared/contract';
import type { HistoryAccess } from './history';

export function recordAgreementOf(history: HistoryAccess, input: Input<'agreement.record'>): Output<'agreement.record'> {
  return recordRunsAgreement(history.get(), input);
}
