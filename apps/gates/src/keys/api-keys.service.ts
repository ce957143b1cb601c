import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IsString, Matches, MaxLength, MinLength } from 'class-validator';
import {
  CreateApiKeyDto,
  ErrorCode,
  GatehouseError,
  isPlainObject,
  isUuid,
  validateDto,
  type ApiKeyView,
  type VerifiedApiKey,
} from '@gatehouse/contracts';
import { inTransaction } from '@gatehouse/persistence';
import { ApiKeysRepository } from './api-keys.repository';

const SHA256_HEX = /^[a-f0-9]{64}$/;

/** `rpc.gates.keys.create`, checked again here: the owner of the table trusts no caller. */
class CreateApiKeyCommandDto extends CreateApiKeyDto {
  @Matches(SHA256_HEX)
  hash!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(40)
  prefix!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  createdBy!: string;
}

function field(body: unknown, name: string, pattern: RegExp, max = 200): string {
  const v = isPlainObject(body) ? body[name] : undefined;
  if (typeof v !== 'string' || v.length > max || !pattern.test(v)) {
    throw new GatehouseError(ErrorCode.VALIDATION_FAILED, `${name} is missing or malformed`);
  }
  return v;
}

/** The API keys the gates service owns (DESIGN section 10): create, list, revoke, verify. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly ds: DataSource,
    private readonly keys: ApiKeysRepository,
  ) {}

  async create(body: unknown): Promise<ApiKeyView> {
    const cmd = validateDto(CreateApiKeyCommandDto, body, 'key');
    const id = randomUUID();
    const { name, roles, hash, prefix, createdBy } = cmd;
    return this.keys.insert(this.ds.manager, { id, name, roles, hash, prefix, createdBy });
  }

  list(): Promise<ApiKeyView[]> {
    return this.keys.list(this.ds.manager);
  }

  async revoke(body: unknown): Promise<ApiKeyView> {
    const id = field(body, 'id', /^[\x21-\x7e]+$/, 64);
    const revokedBy = field(body, 'revokedBy', /^[\x21-\x7e]+$/);
    if (!isUuid(id)) throw new GatehouseError(ErrorCode.KEY_NOT_FOUND, `no API key ${id}`);
    const keyId = id.toLowerCase();
    return inTransaction(this.ds, async (tx) => {
      const admins = await this.keys.lockActiveAdminIds(tx);
      if (admins.length === 1 && admins[0] === keyId) {
        throw new GatehouseError(
          ErrorCode.LAST_ADMIN_KEY,
          `API key ${keyId} is the last active admin key; create another admin key before revoking it`,
        );
      }
      const view = await this.keys.revoke(tx, keyId, revokedBy);
      if (!view) throw new GatehouseError(ErrorCode.KEY_NOT_FOUND, `no API key ${id}`);
      return view;
    });
  }

  /** The key's principal data, or UNAUTHENTICATED for a digest of no active key. */
  async verify(body: unknown): Promise<VerifiedApiKey> {
    return this.findActive(field(body, 'hash', SHA256_HEX, 64));
  }

  async findActive(hash: string): Promise<VerifiedApiKey> {
    const key = await this.keys.findActive(this.ds.manager, hash);
    if (!key) throw new GatehouseError(ErrorCode.UNAUTHENTICATED, 'unknown or revoked API key');
    return key;
  }
}
