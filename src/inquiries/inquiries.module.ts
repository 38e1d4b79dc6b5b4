import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActiveTopicRule } from './create-inquiry.dto.js';
import { ContactFormService } from './contact-form.service.js';
import { ContactController } from './contact.controller.js';
import { InquiriesController } from './inquiries.controller.js';
import { InquiriesService } from './inquiries.service.js';
import { Inquiry } from './inquiry.entity.js';
import { SubmissionLimits } from './submission-limits.js';
import { Topic } from './topic.entity.js';
import { TopicsService } from './topics.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Inquiry, Topic])],
  controllers: [InquiriesController, ContactController],
  providers: [InquiriesService, TopicsService, SubmissionLimits, ActiveTopicRule, ContactFormService],
  exports: [InquiriesService, TopicsService],
})
export class InquiriesModule {}
