import { Module } from '@nestjs/common';
import { EmailsController } from './emails.controller.js';
import { EmailsService } from './emails.service.js';
import { FailedEmailsPagesController } from './failed-emails-pages.controller.js';

@Module({ controllers: [EmailsController, FailedEmailsPagesController], providers: [EmailsService] })
export class EmailsModule {}
