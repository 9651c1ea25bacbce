import { Duration, Token } from 'aws-cdk-lib';

/**
 * Prop checks shared by the constructs. Each skips unresolved tokens and throws a message that names
 * the prop, the value received and what is allowed.
 */

export function checkInt(prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prop} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

export function checkRange(prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!(value >= min && value <= max)) throw new Error(`${prop} must be between ${min} and ${max}, got ${value}`);
}

const SECONDS_PER: Record<'seconds' | 'minutes' | 'hours' | 'days', number> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

/** A duration that must be a whole number of `unit` from `min` to `max`. */
export function checkDuration(prop: string, value: Duration, unit: 'seconds' | 'minutes' | 'hours' | 'days', min: number, max: number): void {
  if (value.isUnresolved()) return;
  const amount = value.toSeconds({ integral: false }) / SECONDS_PER[unit];
  if (!Number.isInteger(amount) || amount < min || amount > max) {
    throw new Error(`${prop} must be a whole number of ${unit} from ${min} to ${max}, got ${Number(amount.toFixed(3))} ${unit}`);
  }
}
