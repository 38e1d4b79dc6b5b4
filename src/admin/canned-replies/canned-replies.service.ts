import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { NotFound } from '../../common/errors.js';
import { CreateCannedReplyDto, CannedReplyView, UpdateCannedReplyDto } from './canned-replies.dto.js';
import { CannedReply } from './canned-replies.entity.js';

const view = ({ id, title, body, createdBy, createdAt, updatedAt }: CannedReply): CannedReplyView =>
  ({ id, title, body, createdBy, createdAt, updatedAt });

/** Canned replies, shared by every staff member. */
@Injectable()
export class CannedRepliesService {
  constructor(@InjectRepository(CannedReply) private readonly replies: Repository<CannedReply>) {}

  async list(): Promise<CannedReplyView[]> {
    const rows = await this.replies.createQueryBuilder('c').orderBy('lower(c.title)', 'ASC').addOrderBy('c.id').getMany();
    return rows.map(view);
  }

  async create(dto: CreateCannedReplyDto, actor: StaffPrincipal): Promise<CannedReplyView> {
    const reply = this.replies.create({ id: randomUUID(), title: dto.title.trim(), body: dto.body, createdBy: actor.id });
    await this.replies.insert(reply);
    return view(await this.replies.findOneByOrFail({ id: reply.id }));
  }

  async update(id: string, dto: UpdateCannedReplyDto): Promise<CannedReplyView> {
    const change = { ...(dto.title !== undefined && { title: dto.title.trim() }), ...(dto.body !== undefined && { body: dto.body }) };
    if (Object.keys(change).length) {
      const { affected } = await this.replies.update({ id }, change);
      if (!affected) throw new NotFound('No canned reply has this id');
    }
    const reply = await this.replies.findOneBy({ id });
    if (!reply) throw new NotFound('No canned reply has this id');
    return view(reply);
  }

  async remove(id: string): Promise<void> {
    const { affected } = await this.replies.delete({ id });
    if (!affected) throw new NotFound('No canned reply has this id');
  }
}
