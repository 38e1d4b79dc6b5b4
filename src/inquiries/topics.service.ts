import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { Topic } from './topic.entity.js';

/** Active topics, read often and changed rarely: cached for a few seconds in each process. */
@Injectable()
export class TopicsService {
  private cache?: { at: number; topics: Topic[] };
  private static readonly TTL_MS = 5_000;

  constructor(@InjectRepository(Topic) private readonly topics: Repository<Topic>, private readonly config: AppConfig) {}

  async active(): Promise<Topic[]> {
    if (!this.cache || Date.now() - this.cache.at > TopicsService.TTL_MS) {
      const topics = await this.topics.find({ where: { active: true }, order: { sortOrder: 'ASC', label: 'ASC' } });
      this.cache = { at: Date.now(), topics };
    }
    return this.cache.topics;
  }

  async findActive(key: unknown): Promise<Topic | undefined> {
    if (typeof key !== 'string') return undefined;
    return (await this.active()).find((t) => t.key === key);
  }

  mailboxOf(topic: Pick<Topic, 'mailbox'>): string {
    return topic.mailbox ?? this.config.teamInbox;
  }

  /** Called after an admin changes a topic, so this process sees it at once. */
  invalidate(): void {
    this.cache = undefined;
  }
}
