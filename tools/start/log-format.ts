import { prettyFactory } from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/** A LOG_FORMAT that is none of the choices: `npm start` stops with exit 78 and this message. */
export class LogFormatError extends Error {}

/**
 * How `npm start` prints the services' logs. The services always write JSON (what production log
 * pipelines read); `npm start` turns it into one readable line per event when a person watches:
 * `LOG_FORMAT=auto` (default) is `pretty` when its stdout is a terminal, else `json`, as pino users
 * expect of pino-pretty. `LOG_FORMAT=json` or `pretty` forces one.
 */
export function chooseLogFormat(setting: string | undefined, stdoutIsTTY: boolean): LogFormat {
  const value = (setting ?? '').trim().toLowerCase();
  if (value === '' || value === 'auto') return stdoutIsTTY ? 'pretty' : 'json';
  if (value === 'json' || value === 'pretty') return value;
  throw new LogFormatError(`LOG_FORMAT=${setting}: must be auto, json or pretty`);
}

/**
 * One service log line as printed: unchanged under `json`; under `pretty` a JSON line becomes one
 * readable line (time, level, the Nest context and message; HTTP requests as method, url and status; other fields inline)
 * and anything else (a start-up error on stderr) passes through as it is.
 */
export function logLineFormatter(format: LogFormat, colorize: boolean): (line: string) => string {
  if (format === 'json') return (line) => line;
  const prettify = prettyFactory({
    colorize,
    singleLine: true,
    // An error's stack stays inside its JSON on the event's line rather than spreading over many.
    errorLikeObjectKeys: [],
    translateTime: 'SYS:HH:MM:ss.l',
    // The launcher's prefix names the service and replica; the Nest context leads the message.
    ignore: 'pid,hostname,service,context,req,res',
    messageFormat: '{if context}{context}: {end}{if req.method}{req.method} {req.url} {res.statusCode} {end}{msg}',
  });
  return (line) => {
    if (!line.startsWith('{')) return line;
    return prettify(line).replace(/\n+$/, '');
  };
}
