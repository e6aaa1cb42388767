/** Exports of the history: CSV/JSON tables and the PDF audit report, each logged in the audit chain. */
export { exportHistory, EXPORT_COLUMNS, type TableFormat } from './exportHistory';
export { auditReport, type AuditReportOptions } from './auditReport';
export { findReportFont, type ReportFont } from './font';
export { requireOperator, type ExportFormat, type ExportOptions, type ExportResult } from './exportContext';
export { guardText, csvLine, BOM } from './csv';
export { exportDataset, reviewedLabel, pathSegment, polygonArea, MANIFEST_COLUMNS, DATASET_FORMAT, type DatasetExportResult, type SkipReason } from './exportDataset';
export { configLabel, DEFAULTS_CONFIG_SHA256 } from './configHash';
export { Deidentifier, configuredUidRoot, DEID_PROFILE, DEID_STATEMENT, REMOVED, type DeidSettings } from './deidentify';
export { DicomIdReader, dicomIdsOf, type DicomIds } from './dicomIds';
