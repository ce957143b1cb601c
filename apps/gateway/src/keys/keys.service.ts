import { Injectable, Logger } from '@nestjs/common';
import {
  ErrorCode,
  GatehouseError,
  isUuid,
  type ApiKeyCreated,
  type ApiKeyView,
  type CreateApiKeyDto,
} from '@gatehouse/contracts';
import { generateApiKey, hashApiKey, visiblePrefix, type Principal } from '@gatehouse/identity';
import { KeyVerifier } from '../auth/key-verifier.service';
import { GatesClient } from '../rpc/gates.client';

/**
 * Makes keys here and sends the gates service (their owner) only the digest and visible prefix:
 * the secret exists in this process's memory and in the one answer, nowhere else.
 */
@Injectable()
export class KeysService {
  private readonly security = new Logger('Security');

  constructor(
    private readonly gates: GatesClient,
    private readonly verifier: KeyVerifier,
  ) {}

  async create(dto: CreateApiKeyDto, principal: Principal): Promise<ApiKeyCreated> {
    const key = generateApiKey();
    const view = await this.gates.createKey({
      name: dto.name,
      roles: dto.roles,
      hash: hashApiKey(key),
      prefix: visiblePrefix(key),
      createdBy: principal.id,
    });
    this.security.log({
      msg: 'api key created',
      keyId: view.id,
      prefix: view.prefix,
      roles: view.roles,
      by: principal.id,
    });
    return { id: view.id, name: view.name, roles: view.roles, key };
  }

  list(): Promise<ApiKeyView[]> {
    return this.gates.listKeys();
  }

  async revoke(id: string, principal: Principal): Promise<ApiKeyView> {
    if (!isUuid(id)) throw new GatehouseError(ErrorCode.KEY_NOT_FOUND, 'no such API key');
    const view = await this.gates.revokeKey({ id, revokedBy: principal.id });
    this.verifier.forgetAll();
    this.security.log({ msg: 'api key revoked', keyId: view.id, prefix: view.prefix, by: principal.id });
    return view;
  }
}
