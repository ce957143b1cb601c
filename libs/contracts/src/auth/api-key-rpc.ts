import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { ROLE_NAME_PATTERN } from './roles';

/** Body of POST /api/keys. */
export class CreateApiKeyDto {
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[\x20-\x7e]+$/, { message: 'name must be printable ASCII' })
  name!: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(ROLE_NAME_PATTERN, { each: true, message: 'each role must match ^[a-z][a-z0-9_-]{0,62}$' })
  roles!: string[];
}

/**
 * `rpc.gates.keys.create`: the gateway makes the key and sends only its SHA-256 and visible prefix,
 * so a secret never crosses the bus or reaches the database.
 */
export interface CreateApiKeyCommand {
  name: string;
  roles: string[];
  hash: string;
  prefix: string;
  createdBy: string;
}

/** `rpc.gates.keys.verify` -> VerifiedApiKey, or UNAUTHENTICATED for an unknown or revoked key. */
export interface VerifyApiKeyRequest {
  hash: string;
}

export interface VerifiedApiKey {
  id: string;
  name: string;
  roles: string[];
}

/** `rpc.gates.keys.revoke` -> ApiKeyView (idempotent), or KEY_NOT_FOUND, or LAST_ADMIN_KEY. */
export interface RevokeApiKeyRequest {
  id: string;
  revokedBy: string;
}

/** An API key as listed: never the secret nor its hash. `rpc.gates.keys.list` -> ApiKeyView[]. */
export interface ApiKeyView {
  id: string;
  name: string;
  roles: string[];
  prefix: string;
  createdBy: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The answer of POST /api/keys: the only time `key` is shown. */
export interface ApiKeyCreated {
  id: string;
  name: string;
  roles: string[];
  key: string;
}
