/**
 * How an inspection config's hash reads to a person. With no inspector.yaml (or an empty one) the
 * engine hashes the empty text, e3b0c44298fc…: printed bare it looks like a config file that was
 * loaded, so it is named for what it is — the built-in defaults.
 */
export const DEFAULTS_CONFIG_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** `config 4d6651a9951b` for a file, `config defaults (no inspector.yaml)` without one. */
export function configLabel(sha256: string, chars = 12): string {
  return sha256 === DEFAULTS_CONFIG_SHA256 ? 'config defaults (no inspector.yaml)' : `config ${sha256.slice(0, chars)}`;
}
