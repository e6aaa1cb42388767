/** The history store's public face: what the host, the CLI and the engine import. */
export { HistoryStore, anchorPath, readAnchor, type OpenOptions } from './store';
export { LATEST_VERSION, MIGRATIONS, migrate, schemaVersion } from './migrations';
export { verifyAudit, type AuditBreak, type VerifyReport, type VerifyOptions } from './verify';
export { offMachineAnchor, chainHoldsFrom, type OffMachineAnchor } from './audit';
export { verifyDerived, verifyBlobs } from './derived';
export { acquireBatchLock, LEASE_MS, type BatchLease } from './batchLock';
export { storageError } from './store';
export { searchHistory, getRun, boxReviewsOf, type HistoryQuery, type HistoryPage, type ReviewStatus } from './search';
export { listFailedImages, failedImageQuery, maxErrorId, type FailedImageRow, type FailedImageQuery } from './failures';
export { dailyStats, packStats, agreementStats, errorStats, type StatsQuery, type DailyStats, type PackStats, type AgreementStats, type ErrorStats } from './stats';
export { packDrift, allPacksDrift, psi, ksStatistic, ksPValue, DEFAULT_DRIFT_LIMITS, type DriftReport, type DriftLimits } from './drift';
export { backupDatabase, restoreDatabase, checkBackup, type BackupResult, type RestoreResult } from './backup';
export { BlobStore } from './blobs';
export { HIST_BINS } from './histogram';
export { localDay } from './time';
export { OPERATOR_ROLES } from './records';
export type * from './types';
export { verdictsForRuns, latestVerdicts, verdictsInPeriod, recomputeCase, recomputeVerdict, describeVerdict, hasCaseVerdicts, maxCaseVerdictId, PASS_LABELS } from './caseVerdicts';
