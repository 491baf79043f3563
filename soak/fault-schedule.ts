import type { FaultKind, Phase } from './records.js';

/**
 * The run's script, as fractions of its length so that a 20 s and a 1 h run go through the same
 * story: warm-up, steady load, then each fault of the identity server in turn with a recovery
 * after it, a client-secret rotation, and steady load to the end. Bursts land in a steady phase,
 * during a stall and after the rotation; revocations are spread over the fault-free phases.
 */
export interface ScheduledPhase {
  readonly name: string;
  readonly from: number;
  readonly to: number;
  readonly fault?: FaultKind;
}

export const PHASES: readonly ScheduledPhase[] = [
  { name: 'warm-up', from: 0, to: 0.08 },
  { name: 'steady', from: 0.08, to: 0.2 },
  { name: 'slow', from: 0.2, to: 0.28, fault: 'slow' },
  { name: 'after slow', from: 0.28, to: 0.33 },
  { name: '5xx', from: 0.33, to: 0.39, fault: 'status-5xx' },
  { name: 'after 5xx', from: 0.39, to: 0.45 },
  { name: 'stall', from: 0.45, to: 0.51, fault: 'stall' },
  { name: 'after stall', from: 0.51, to: 0.57 },
  { name: 'refused', from: 0.57, to: 0.63, fault: 'refused' },
  { name: 'after refused', from: 0.63, to: 0.69 },
  { name: 'restart', from: 0.69, to: 0.73, fault: 'restart' },
  { name: 'after restart', from: 0.73, to: 0.8 },
  { name: 'rotated secret', from: 0.8, to: 0.9 },
  { name: 'steady end', from: 0.9, to: 1 },
];

/** Bursts, as fractions of the run: in steady load, inside the stall, just after the rotation. */
export const BURSTS: readonly number[] = [0.14, 0.48, 0.82, 0.95];

/** When the client secret rotates (the start of the "rotated secret" phase). */
export const ROTATION_AT = 0.8;

/** Fractions at which one more token of kind `revoked` is revoked: only in fault-free phases. */
export const REVOCATIONS: readonly number[] = [0.1, 0.15, 0.18, 0.3, 0.41, 0.43, 0.53, 0.55, 0.65, 0.67, 0.76, 0.78];

export interface Schedule {
  readonly phases: readonly (Phase & { readonly fault?: FaultKind })[];
  readonly bursts: readonly number[];
  readonly rotationMs: number;
  readonly revocations: readonly number[];
}

/** The schedule in epoch milliseconds for a run of `seconds` starting at `startMs`. */
export function scheduleFor(startMs: number, seconds: number): Schedule {
  const at = (fraction: number) => Math.round(startMs + fraction * seconds * 1000);
  return {
    phases: PHASES.map((phase) => ({
      name: phase.name,
      startMs: at(phase.from),
      endMs: at(phase.to),
      ...(phase.fault === undefined ? {} : { fault: phase.fault }),
    })),
    bursts: BURSTS.map(at),
    rotationMs: at(ROTATION_AT),
    revocations: REVOCATIONS.map(at),
  };
}
