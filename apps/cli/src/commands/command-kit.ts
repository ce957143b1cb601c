import { Command } from 'commander';
import { resolveApiSettings, type ApiFlags } from '../api/api-settings';
import { GatehouseApi } from '../api/gatehouse-api';
import type { CliIo } from '../cli-io';
import { styleFor, type Style } from '../output/style';

export interface ApiOptions extends ApiFlags {
  json?: boolean;
}

/** What an API command's action works with. */
export interface ApiContext {
  io: CliIo;
  api: GatehouseApi;
  json: boolean;
  style: Style;
  /** JSON on stdout for scripts, or lines for people. */
  emit(value: unknown, human: () => string[]): void;
}

/** A command that talks to the gateway: `--json`, `--url`, `--token` and `--as` on every one. */
export function apiCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .option('--json', 'print JSON on stdout (messages stay on stderr)')
    .option('--url <url>', 'the gateway (default: GATEHOUSE_URL, else http://127.0.0.1:3001)')
    .option('--token <token>', 'an API key or bearer token (default: GATEHOUSE_TOKEN)')
    .option('--as <actor>', 'act as this unverified name, AUTH_MODE=off only (default: GATEHOUSE_ACTOR)');
}

export function apiContext(io: CliIo, opts: ApiOptions): ApiContext {
  const api = new GatehouseApi(resolveApiSettings(opts, io.env));
  const json = Boolean(opts.json);
  return {
    io,
    api,
    json,
    style: styleFor(io),
    emit: (value, human) => {
      if (json) io.out(JSON.stringify(value));
      else for (const line of human()) io.out(line);
    },
  };
}
