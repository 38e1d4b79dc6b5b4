// Every entity and migration, listed by hand: ESM has no require() for a glob, and a list reads better.
// Add yours at the end of the list it belongs to.
import { Inquiry } from '../inquiries/inquiry.entity.js';
import { Topic } from '../inquiries/topic.entity.js';
import { OutboundEmail } from '../mail/outbound-email.entity.js';
import { Foundation1764000000000 } from './migrations/1764000000000-Foundation.js';
import { Staff1764000050000 } from './migrations/1764000050000-Staff.js';
import { Conversation1764000060000 } from './migrations/1764000060000-Conversation.js';
import { Staff } from '../auth/staff.entity.js';
import { CannedReply } from '../admin/canned-replies/canned-replies.entity.js';
import { StaffAdmin1764000200000 } from './migrations/1764000200000-StaffAdmin.js';
import { OutboxNotifyAfterCommit1764000150000 } from './migrations/1764000150000-OutboxNotifyAfterCommit.js';
import { InboxSearch1764000300000 } from './migrations/1764000300000-InboxSearch.js';
import { InboundAndPrivacy1764000400000 } from './migrations/1764000400000-InboundAndPrivacy.js';
import { StaffSessions1764000500000 } from './migrations/1764000500000-StaffSessions.js';
import { AuditLog1764000650000 } from './migrations/1764000650000-AuditLog.js';
import { TwoFactor1764000700000 } from './migrations/1764000700000-TwoFactor.js';
import { PageFeedback1764000800000 } from './migrations/1764000800000-PageFeedback.js';
import { BulkAndSnooze1764000950000 } from './migrations/1764000950000-BulkAndSnooze.js';
import { Drafts1764000900000 } from './migrations/1764000900000-Drafts.js';
import { StaffPreferences1764001000000 } from './migrations/1764001000000-StaffPreferences.js';

export const ENTITIES = [Topic, Inquiry, OutboundEmail, Staff, CannedReply];

export const MIGRATIONS = [
  Foundation1764000000000,
  Staff1764000050000,
  Conversation1764000060000,
  OutboxNotifyAfterCommit1764000150000,
  StaffAdmin1764000200000,
  InboxSearch1764000300000,
  InboundAndPrivacy1764000400000,
  StaffSessions1764000500000,
  AuditLog1764000650000,
  TwoFactor1764000700000,
  PageFeedback1764000800000,
  BulkAndSnooze1764000950000,
  Drafts1764000900000,
  StaffPreferences1764001000000,
];
