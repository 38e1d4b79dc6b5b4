import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Staff } from '../../auth/staff.entity.js';
import { InquiriesModule } from '../../inquiries/inquiries.module.js';
import { SetPasswordPageController } from './staff-set-password.controller.js';
import { StaffController } from './staff.controller.js';
import { StaffService } from './staff.service.js';
import { StaffPagesController } from './staff-pages.controller.js';

/** Admin-only management of staff accounts, and the page an invitation links to. Sign-in lives in the auth module. */
@Module({
  imports: [TypeOrmModule.forFeature([Staff]), InquiriesModule],
  controllers: [StaffController, SetPasswordPageController, StaffPagesController],
  providers: [StaffService],
})
export class StaffModule {}
