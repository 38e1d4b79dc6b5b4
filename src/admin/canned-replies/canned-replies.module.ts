import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CannedRepliesController } from './canned-replies.controller.js';
import { CannedReply } from './canned-replies.entity.js';
import { CannedRepliesService } from './canned-replies.service.js';
import { SavedRepliesPagesController } from './saved-replies-pages.controller.js';

@Module({
  imports: [TypeOrmModule.forFeature([CannedReply])],
  controllers: [CannedRepliesController, SavedRepliesPagesController],
  providers: [CannedRepliesService],
  exports: [CannedRepliesService],
})
export class CannedRepliesModule {}
