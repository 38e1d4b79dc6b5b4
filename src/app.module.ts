import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from './audit/audit.module.js';
import { AuditLogModule } from './audit/audit-log.module.js';
import { AuthModule } from './auth/auth.module.js';
import { WebModule } from './web/web.module.js';
import { RedisModule } from './common/redis.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { dataSourceOptions } from './database/data-source.js';
import { HealthModule } from './health/health.module.js';
import { InquiriesModule } from './inquiries/inquiries.module.js';
import { logOptions } from './common/logging.js';
import { MailModule } from './mail/mail.module.js';
import { QueueModule } from './queue/queue.module.js';
import { StaffModule } from './admin/staff/staff.module.js';
import { AdminTopicsModule } from './admin/topics/topics.module.js';
import { CannedRepliesModule } from './admin/canned-replies/canned-replies.module.js';
import { EmailsModule } from './admin/emails/emails.module.js';
import { QueuesModule } from './admin/queues/queues.module.js';
import { InboxModule } from './admin/inbox/inbox.module.js';
import { SnoozeModule } from './admin/inbox/snooze.module.js';
import { InboundModule } from './inbound/inbound.module.js';
import { PrivacyModule } from './privacy/privacy.module.js';
import { FeedbackModule } from './feedback/feedback.module.js';
import { MetricsModule } from './metrics/metrics.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(logOptions(config)),
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), autoLoadEntities: false }),
        RedisModule,
        AuditModule,
        WebModule,
        AuthModule,
        MailModule,
        HealthModule,
        InquiriesModule,
        QueueModule.forRoot(config),
        StaffModule,
        AdminTopicsModule,
        CannedRepliesModule,
        EmailsModule,
        QueuesModule,
        SnoozeModule.forRoot(config),
        InboxModule,
        InboundModule.forRoot(config),
        PrivacyModule.forRoot(config),
        AuditLogModule,
        FeedbackModule,
        MetricsModule.forRoot(config),
      ],
    };
  }
}
