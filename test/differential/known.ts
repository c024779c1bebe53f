/**
 * The known differences between the emulator and the real kube-apiserver: operation id → the reason the
 * emulator answers otherwise. Every entry must still disagree (the suite fails on a stale one).
 */
export const KNOWN: Record<string, string> = {
  'ssa/cm/bad-yaml':
    'Same code and reason (400 BadRequest "error decoding YAML: …"); the parser\'s own text differs: the emulator parses YAML with eemeli/yaml, the real server with go-yaml (`yaml: line 2: did not find expected node content`). Reproducing go-yaml\'s messages would need its parser.',
};
