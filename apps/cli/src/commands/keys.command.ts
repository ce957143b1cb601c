import { Command } from 'commander';
import type { ApiKeyCreated, ApiKeyView } from '@gatehouse/contracts';
import type { CliIo } from '../cli-io';
import { seg } from '../api/gatehouse-api';
import { renderTable } from '../output/table';
import { apiCommand, apiContext, type ApiOptions } from './command-kit';

/** `gatehouse keys create|list|revoke` over /api/keys (admin only, DESIGN section 10). */
export function keysCommand(io: CliIo): Command {
  const keys = new Command('keys').description('API keys: create, list, revoke (admin)');

  keys.addCommand(
    apiCommand('create', 'create an API key; the key is printed this once')
      .requiredOption('--name <name>', 'what the key is for, e.g. ci-deployer')
      .requiredOption('--role <roles...>', 'roles the key holds, e.g. --role operator devops_engineer')
      .action(async (opts: ApiOptions & { name: string; role: string[] }) => {
        const ctx = apiContext(io, opts);
        const created = await ctx.api.post<ApiKeyCreated>('/api/keys', { name: opts.name, roles: opts.role });
        ctx.emit(created, () => [
          `created key ${created.id} (${created.name}: ${created.roles.join(', ')})`,
          created.key,
        ]);
        io.log('store the key now: it is shown once and cannot be read again');
      }),
  );

  keys.addCommand(
    apiCommand('list', 'list API keys (never their secrets), revoked ones included').action(
      async (opts: ApiOptions) => {
        const ctx = apiContext(io, opts);
        const list = await ctx.api.get<ApiKeyView[]>('/api/keys');
        ctx.emit(list, () =>
          list.length
            ? renderTable(
                ['id', 'name', 'roles', 'prefix', 'created by', 'last used', 'revoked'],
                list.map((k) => [
                  k.id,
                  k.name,
                  k.roles.join(','),
                  k.prefix,
                  k.createdBy,
                  k.lastUsedAt ?? 'never',
                  k.revokedAt ? ctx.style.red(k.revokedAt) : '-',
                ]),
              )
            : ['no keys'],
        );
      },
    ),
  );

  keys.addCommand(
    apiCommand('revoke', 'revoke an API key (idempotent); it stops working within seconds')
      .argument('<id>', 'the key id, from `gatehouse keys list`')
      .action(async (id: string, opts: ApiOptions) => {
        const ctx = apiContext(io, opts);
        const key = await ctx.api.delete<ApiKeyView>(`/api/keys/${seg(id)}`);
        ctx.emit(key, () => [`revoked key ${key.id} (${key.name}) at ${key.revokedAt}`]);
      }),
  );
  return keys;
}
