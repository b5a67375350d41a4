import { Module } from '@nestjs/common';
import { ImportController } from './import.controller.js';
import { ImportRepository } from './import.repository.js';
import { ImportService } from './import.service.js';

/** Moving in (SPEC §9): the history import from the system Playtime replaces. */
@Module({
  controllers: [ImportController],
  providers: [ImportService, ImportRepository],
})
export class ImportModule {}
