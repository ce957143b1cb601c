import type { SchemaObject } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

// Where class-transformer keeps @Type(): the nested DTOs' references come from it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as {
  defaultMetadataStorage: MetadataStorage;
};

/**
 * Request body schemas derived from the DTOs' class-validator decorators, the same rules the
 * ValidationPipe enforces, so the document cannot drift from what the gateway accepts. Every
 * object is closed (`additionalProperties: false`): the pipe refuses unknown fields.
 */
export function bodySchemas(refPointerPrefix: string, roots: string[]): Record<string, SchemaObject> {
  const all = validationMetadatasToSchemas({
    refPointerPrefix,
    classTransformerMetadataStorage: defaultMetadataStorage,
  }) as Record<string, SchemaObject>;
  // Only the DTOs the routes take and what they nest: other validated classes (configuration,
  // bus messages) are not part of the HTTP API.
  const picked: Record<string, SchemaObject> = {};
  const visit = (name: string) => {
    if (picked[name] || !all[name]) return;
    picked[name] = close(all[name]);
    for (const match of JSON.stringify(all[name]).matchAll(/"\$ref":"([^"]+)"/g)) {
      visit(match[1].slice(refPointerPrefix.length));
    }
  };
  roots.forEach(visit);
  return picked;
}

function close(schema: SchemaObject): SchemaObject {
  return schema.type === 'object' && schema.additionalProperties === undefined
    ? { ...schema, additionalProperties: false }
    : schema;
}
