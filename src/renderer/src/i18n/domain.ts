/**
 * The core's words (guard reasons, proposal notes, class and verdict names) in the UI's language:
 * the tables live in src/shared/coreWords.ts so the node-side test can feed them the core's own
 * sentences; the renderer uses them from here.
 */
export { classNamer, guardReasonText, isKnownGuardReason, proposalNoteText, type LabelDisplay } from '../../../shared/coreWords';
