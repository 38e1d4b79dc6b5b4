import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InquiriesModule } from '../../inquiries/inquiries.module.js';
import { Topic } from '../../inquiries/topic.entity.js';
import { AdminTopicsController } from './topics.controller.js';
import { AdminTopicsService } from './topics.service.js';
import { TopicsPagesController } from './topics-pages.controller.js';

/** Admin-only topic management; the public list (and its cache) lives in the inquiries module. */
@Module({
  imports: [TypeOrmModule.forFeature([Topic]), InquiriesModule],
  controllers: [AdminTopicsController, TopicsPagesController],
  providers: [AdminTopicsService],
})
export class AdminTopicsModule {}
