export { applyGuard, guardImages, judge, envelopeReasons, OOD_CODE, type GuardCheck } from './guard';
export { studyGuard, type Study, type StudyInput } from './study';
export { writeGuard, rehash, GUARD_FILE } from './calibrate';
