import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DataSource } from 'typeorm';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { InvalidInput, NotFound } from '../../common/errors.js';
import { fieldErrors } from '../../common/validation.js';
import { DraftBodyDto, type DraftView } from './inbox.dto.js';
import { inquiryKey } from './inbox.service.js';

/**
 * Reply drafts (SPEC §9): one per person and inquiry, kept on the server as they type, so a reload or another
 * device finds it again. Only its owner writes it (every method is keyed by the signed-in person); sending the
 * reply deletes it in the reply's transaction (InboxConversationService.sendReply).
 */
@Injectable()
export class DraftsService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** My draft on the inquiry, or 404 when I have none (or the inquiry does not exist). */
  async get(idOrReference: string, me: StaffPrincipal): Promise<DraftView> {
    const draft = await this.find(idOrReference, me);
    if (!draft) throw new NotFound('You have no draft on this inquiry');
    return draft;
  }

  /** My draft, or undefined: what the inquiry page pre-fills the reply with. */
  async find(idOrReference: string, me: StaffPrincipal): Promise<DraftView | undefined> {
    const key = inquiryKey(idOrReference);
    const [row] = await this.db.query(
      `SELECT d.body, d.updated_at FROM inquiry_drafts d JOIN inquiries i ON i.id = d.inquiry_id
       WHERE i.${key.column} = $1 AND d.staff_id = $2`, [key.value, me.id]);
    return row ? { body: row.body, updatedAt: new Date(row.updated_at).toISOString() } : undefined;
  }

  /**
   * Saves my draft (the reply's rules: up to 10,000 characters, no control characters but tabs and line breaks).
   * A blank body deletes it, answering null. 404 when the inquiry does not exist.
   */
  async save(idOrReference: string, body: unknown, me: StaffPrincipal): Promise<DraftView | null> {
    const dto = plainToInstance(DraftBodyDto, { body });
    const errors = fieldErrors(validateSync(dto));
    if (errors.length) throw new InvalidInput(errors);
    const inquiryId = await this.inquiryId(idOrReference);
    if (!dto.body.trim()) {
      await this.db.query(`DELETE FROM inquiry_drafts WHERE inquiry_id = $1 AND staff_id = $2`, [inquiryId, me.id]);
      return null;
    }
    const [row] = await this.db.query(
      `INSERT INTO inquiry_drafts (inquiry_id, staff_id, body) VALUES ($1, $2, $3)
       ON CONFLICT (inquiry_id, staff_id) DO UPDATE SET body = EXCLUDED.body, updated_at = now()
       RETURNING body, updated_at`, [inquiryId, me.id, dto.body]);
    return { body: row.body, updatedAt: new Date(row.updated_at).toISOString() };
  }

  /** Deletes my draft on the inquiry (nothing to delete is fine); 404 when the inquiry does not exist. */
  async delete(idOrReference: string, me: StaffPrincipal): Promise<void> {
    const inquiryId = await this.inquiryId(idOrReference);
    await this.db.query(`DELETE FROM inquiry_drafts WHERE inquiry_id = $1 AND staff_id = $2`, [inquiryId, me.id]);
  }

  private async inquiryId(idOrReference: string): Promise<string> {
    const key = inquiryKey(idOrReference);
    const [row] = await this.db.query(`SELECT id FROM inquiries WHERE ${key.column} = $1`, [key.value]);
    if (!row) throw new NotFound('No inquiry has this id or reference');
    return row.id;
  }
}
