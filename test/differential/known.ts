/**
 * The known differences between the emulator and the real kube-apiserver: operation id → the reason the
 * emulator answers otherwise. Every entry must still disagree (the suite fails on a stale one).
 */
export const KNOWN: Record<string, string> = {};
