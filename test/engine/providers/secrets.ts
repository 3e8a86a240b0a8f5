/**
 * Secrets as they cross the provider protocol: the engine sends a secret input as
 * {[specialSigKey]: secretSig, value} (the doubles' Configure accepts secrets) and takes outputs in the same
 * form. Realization code works on plain values; what the program marked secret stays secret in the state.
 */
type Props = Record<string, unknown>;

const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export const isSecret = (v: unknown): v is { value: unknown } =>
  typeof v === "object" && v !== null && (v as Props)[SIG_KEY] === SECRET_SIG;

export const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

/** The value with every secret wrapper removed, deeply. */
export function reveal<T>(v: T): T {
  if (isSecret(v)) return reveal(v.value) as T;
  if (Array.isArray(v)) return v.map(reveal) as T;
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)])) as T;
  return v;
}

/** Outputs with the top-level keys that were secret in `inputs` (or are named in `alsoSecret`) wrapped again. */
export function keepSecrets(inputs: Props, outputs: Props, alsoSecret: string[] = []): Props {
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) =>
    [k, (isSecret(inputs[k]) || alsoSecret.includes(k)) && v !== undefined && !isSecret(v) ? secret(v) : v]));
}
