import type { CliIo } from '../cli-io';

/** Colour only for a person at a terminal, and never when NO_COLOR is set (no-color.org). */
export function useColour(io: CliIo): boolean {
  return io.stdoutIsTTY && !io.env.NO_COLOR;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plain = (s: string) => s;

export function styleFor(io: CliIo): Style {
  if (!useColour(io)) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) };
}

/** The colour a state or status reads in: green done well, red failed or overdue, yellow waiting. */
export function tone(style: Style, value: string): string {
  if (['SUCCESS', 'RECEIVED', 'approve', 'low'].includes(value)) return style.green(value);
  if (
    ['ERROR', 'CANCELLED', 'TIMED_OUT', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', 'reject', 'timeout', 'critical'].includes(
      value,
    )
  ) {
    return style.red(value);
  }
  if (['PENDING', 'ENQUEUED', 'high'].includes(value)) return style.yellow(value);
  return value;
}
