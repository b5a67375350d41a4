import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors } from '../common/api-errors.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { mediaPathSchema, type MediaPath } from '../watch/media.js';
import { CatalogService } from './catalog.service.js';
import {
  catalogEntrySchema,
  catalogSearchQuerySchema,
  catalogSearchResponseSchema,
  type CatalogSearchQuery,
} from './dto/catalog-entry.schema.js';
import { sendCacheable } from './http-caching.js';

const cachingHeaders = {
  'Cache-Control': { description: '`public, max-age=<CATALOG_CACHE_TTL_MS in seconds>`', schema: { type: 'string', example: 'public, max-age=60' } },
  ETag: { description: 'Strong validator of the body; send it back in `If-None-Match`.', schema: { type: 'string' } },
};

const ifNoneMatch = () =>
  ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier answer: 304 with no body when unchanged.' });

@ApiTags('catalog')
@ApiBearerAuth('jwt')
@Controller('v1/catalog')
export class CatalogController {
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly catalog: CatalogService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.maxAgeSeconds = Math.floor(config.CATALOG_CACHE_TTL_MS / 1000);
  }

  @Get()
  @ApiOperation({
    summary: 'Search the catalogue',
    description: 'Titles containing `search` (any case), those starting with it first, then by title. Without `search`, the catalogue by title.',
  })
  @ifNoneMatch()
  @ApiResponse({ status: 200, standardSchema: catalogSearchResponseSchema, headers: cachingHeaders })
  @ApiResponse({ status: 304, description: 'Not modified: the `If-None-Match` ETag is current.' })
  @ApiErrors(400, 401)
  async search(
    @Query({ schema: catalogSearchQuerySchema }) query: CatalogSearchQuery,
    @Headers('if-none-match') etags: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const items = await this.catalog.search(query);
    return sendCacheable(reply, { items }, etags, this.maxAgeSeconds);
  }

  @Get(':mediaType/:mediaId')
  @ApiOperation({ summary: 'One catalogue entry; a show comes with its seasons and episodes', description: 'Cached for CATALOG_CACHE_TTL_MS.' })
  @ifNoneMatch()
  @ApiResponse({ status: 200, standardSchema: catalogEntrySchema, headers: cachingHeaders })
  @ApiResponse({ status: 304, description: 'Not modified: the `If-None-Match` ETag is current.' })
  @ApiErrors(400, 401, 404)
  async getEntry(
    @Param({ schema: mediaPathSchema }) params: MediaPath,
    @Headers('if-none-match') etags: string | undefined,
    @Res() reply: FastifyReply,
  ) {
    const entry = await this.catalog.get(params.mediaType, params.mediaId);
    return sendCacheable(reply, entry, etags, this.maxAgeSeconds);
  }
}
