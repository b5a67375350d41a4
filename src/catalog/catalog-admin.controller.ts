import { Body, Controller, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/auth.decorators.js';
import { ApiErrors } from '../common/api-errors.js';
import { mediaPathSchema, type MediaPath } from '../watch/media.js';
import { CatalogService } from './catalog.service.js';
import {
  catalogEntryBodySchema,
  catalogEntrySchema,
  catalogImportedSchema,
  catalogImportSchema,
  type CatalogEntryFields,
  type CatalogImportEntry,
} from './dto/catalog-entry.schema.js';

@ApiTags('catalog')
@ApiBearerAuth('jwt')
@AdminOnly()
@Controller('v1/admin/catalog')
export class CatalogAdminController {
  constructor(private readonly catalog: CatalogService) {}

  @Put(':mediaType/:mediaId')
  @ApiOperation({
    summary: 'Insert or replace one catalogue entry (admin)',
    description:
      'The key comes from the path. `title` is required; an omitted optional field is stored empty. ' +
      '`seasons` (tv only) replaces every episode of the show; omit it to keep them. Invalidates the catalogue cache.',
  })
  @ApiResponse({ status: 200, description: 'The entry as stored.', standardSchema: catalogEntrySchema })
  @ApiErrors(400, 401, 403)
  async upsert(
    @Param({ schema: mediaPathSchema }) params: MediaPath,
    @Body({ schema: catalogEntryBodySchema }) body: CatalogEntryFields,
  ) {
    return this.catalog.upsert(params.mediaType, params.mediaId, body);
  }

  @Post('import')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Bulk-load whole catalogue entries (admin)',
    description:
      'A JSON array of entries with `mediaType` and `mediaId`, each inserted or replaced as by PUT, in one transaction. ' +
      'The whole array is validated first: one bad entry rejects the request with a 400 naming its index, and nothing is stored. ' +
      'Invalidates the catalogue cache.',
  })
  @ApiResponse({ status: 200, standardSchema: catalogImportedSchema })
  @ApiErrors(400, 401, 403)
  async import(@Body({ schema: catalogImportSchema }) entries: CatalogImportEntry[]) {
    return { imported: await this.catalog.importMany(entries) };
  }
}
