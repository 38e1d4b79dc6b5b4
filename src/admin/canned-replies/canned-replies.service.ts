import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { InvalidInput, NotFound } from '../../common/errors.js';
import { fieldErrors } from '../../common/validation.js';
import { CreateCannedReplyDto, CannedReplyView, UpdateCannedReplyDto } from './canned-replies.dto.js';
import { CannedReply } from './canned-replies.entity.js';

/** The saved-reply form of the web inbox, as typed. */
export interface SavedReplyForm {
  title: string;
  body: string;
}

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

  async get(id: string): Promise<CannedReplyView> {
    const reply = await this.replies.findOneBy({ id });
    if (!reply) throw new NotFound('No canned reply has this id');
    return view(reply);
  }

  /** The web form's add: the API's rules (CreateCannedReplyDto), InvalidInput naming each bad field. */
  async createFromForm(form: SavedReplyForm, actor: StaffPrincipal): Promise<CannedReplyView> {
    return this.create(await validForm(form), actor);
  }

  /** The web form's change: both fields, by the same rules. */
  async updateFromForm(id: string, form: SavedReplyForm): Promise<CannedReplyView> {
    return this.update(id, await validForm(form));
  }
}

async function validForm(form: SavedReplyForm): Promise<CreateCannedReplyDto> {
  const dto = plainToInstance(CreateCannedReplyDto, { title: form.title.trim(), body: form.body.replace(/\r\n/g, '\n') });
  const errors = fieldErrors(await validate(dto));
  // A body of spaces alone is no reply.
  if (!errors.some((e) => e.field === 'body') && !dto.body.trim()) errors.push({ field: 'body', message: 'body must not be blank' });
  if (errors.length) throw new InvalidInput(errors);
  return dto;
}
