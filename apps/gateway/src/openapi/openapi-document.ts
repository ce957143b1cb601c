import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { addAuthentication } from './authentication-answers';
import { bodySchemas } from './body-schemas';
import { SCHEMA_REF_PREFIX, VIEW_SCHEMAS } from './view-schemas';

/**
 * The gateway's OpenAPI 3.1 document: operations from the controllers, request bodies from the
 * DTOs' validation rules, answers from VIEW_SCHEMAS. Nest registers each body DTO by its class
 * name with no properties (the DTOs carry no @ApiProperty); those entries are replaced here.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setOpenAPIVersion('3.1.0')
      .setTitle('Gatehouse gateway')
      .setDescription(
        'Human-in-the-loop gates: intents, runs, gates and replies. Every error is `{"error": CODE, "message": ...}` with a stable code (docs/errors.md).',
      )
      .setVersion('1')
      .build(),
  );
  const components = (document.components ??= {});
  const bodies = bodySchemas(SCHEMA_REF_PREFIX, Object.keys(components.schemas ?? {}));
  components.schemas = { ...components.schemas, ...bodies, ...VIEW_SCHEMAS };
  addAuthentication(document);
  return document;
}
