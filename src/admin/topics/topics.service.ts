import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { Conflict, NotFound } from '../../common/errors.js';
import { Topic } from '../../inquiries/topic.entity.js';
import { TopicsService } from '../../inquiries/topics.service.js';
import { AuditService } from '../../audit/audit.service.js';
import { AdminTopicView, CreateTopicDto, UpdateTopicDto } from './topics.dto.js';

const view = (t: Topic): AdminTopicView => ({
  key: t.key, label: t.label, description: t.description, mailbox: t.mailbox, responseTargetDays: t.responseTargetDays,
  active: t.active, sortOrder: t.sortOrder,
});

const editable = (t: Partial<Topic>) => ({
  label: t.label, description: t.description, mailbox: t.mailbox, responseTargetDays: t.responseTargetDays,
  active: t.active, sortOrder: t.sortOrder,
});

/** Topics as admins see them: all of them, with routing mailbox and response target. Never deleted. */
@Injectable()
export class AdminTopicsService {
  constructor(
    @InjectRepository(Topic) private readonly topics: Repository<Topic>,
    private readonly db: DataSource,
    private readonly publicTopics: TopicsService,
    private readonly audit: AuditService,
  ) {}

  async list(): Promise<AdminTopicView[]> {
    return (await this.topics.find({ order: { sortOrder: 'ASC', label: 'ASC' } })).map(view);
  }

  /** One topic, active or not (the edit page); 404 for an unknown key. */
  async get(key: string): Promise<AdminTopicView> {
    const topic = await this.topics.findOneBy({ key });
    if (!topic) throw new NotFound('No topic has this key');
    return view(topic);
  }

  async create(dto: CreateTopicDto, actor: StaffPrincipal): Promise<AdminTopicView> {
    const topic = await this.db.transaction(async (tx) => {
      const rows: unknown[] = await tx.query(
        `INSERT INTO topics (key, label, description, mailbox, response_target_days, active, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [dto.key, dto.label.trim(), dto.description?.trim() ?? '', dto.mailbox?.trim().toLowerCase() ?? null,
          dto.responseTargetDays ?? 10, dto.active ?? true, dto.sortOrder ?? 0],
      );
      if (!rows.length) throw new Conflict('A topic with this key already exists');
      const created = await tx.findOneByOrFail(Topic, { key: dto.key });
      await this.audit.record(tx, { inquiryId: null, actor, action: 'topic.created', changes: AuditService.diff({}, { key: created.key, ...editable(created) }) });
      return created;
    });
    this.publicTopics.invalidate();
    return view(topic);
  }

  async update(key: string, dto: UpdateTopicDto, actor: StaffPrincipal): Promise<AdminTopicView> {
    const topic = await this.db.transaction(async (tx) => {
      const before = await tx.findOne(Topic, { where: { key }, lock: { mode: 'pessimistic_write' } });
      if (!before) throw new NotFound('No topic has this key');
      const change = Object.fromEntries(Object.entries(editable({
        ...dto,
        label: dto.label?.trim(),
        description: dto.description?.trim(),
        mailbox: dto.mailbox === undefined ? undefined : dto.mailbox?.trim().toLowerCase() ?? null,
      })).filter(([, v]) => v !== undefined)) as Partial<Topic>;
      const changes = AuditService.diff(editable(before), { ...editable(before), ...change });
      if (!Object.keys(changes).length) return before;
      await tx.update(Topic, { key }, { ...change, updatedAt: new Date() });
      await this.audit.record(tx, { inquiryId: null, actor, action: 'topic.updated', changes: { key: { from: key, to: key }, ...changes } });
      return tx.findOneByOrFail(Topic, { key });
    });
    this.publicTopics.invalidate();
    return view(topic);
  }
}
