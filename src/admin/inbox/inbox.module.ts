import { Module } from '@nestjs/common';
import { BulkService } from './bulk.service.js';
import { CannedRepliesModule } from '../canned-replies/canned-replies.module.js';
import { InboxConversationService } from './inbox-conversation.service.js';
import { DraftsService } from './drafts.service.js';
import { InboxController } from './inbox.controller.js';
import { InboxListService } from './inbox-list.service.js';
import { InboxService } from './inbox.service.js';
import { InboxPagesController } from './inbox-pages.controller.js';
import { InquiryPagesController } from './inquiry-pages.controller.js';
import { StatisticsPagesController } from './statistics-pages.controller.js';
import { StatisticsService } from './statistics.service.js';

/** The staff inbox: list, detail, triage, notes, replies, audit trail, export and stats. */
@Module({
  imports: [CannedRepliesModule],
  controllers: [InboxController, InboxPagesController, InquiryPagesController, StatisticsPagesController],
  providers: [InboxListService, InboxService, InboxConversationService, StatisticsService, DraftsService,
    BulkService],
})
export class InboxModule {}
