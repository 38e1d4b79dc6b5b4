import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation,
} from '@nestjs/swagger';
import { AdminApi, CurrentStaff } from '../../auth/auth.decorators.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { AdminTopicView, CreateTopicDto, UpdateTopicDto } from './topics.dto.js';
import { AdminTopicsService } from './topics.service.js';

@AdminApi('admin: topics')
@Controller('api/admin/topics')
export class AdminTopicsController {
  constructor(private readonly topics: AdminTopicsService) {}

  @Get()
  @ApiOperation({ summary: 'Every topic, active or not, with its routing mailbox and response target' })
  @ApiOkResponse({ type: [AdminTopicView] })
  list(): Promise<AdminTopicView[]> {
    return this.topics.list();
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a topic' })
  @ApiCreatedResponse({ type: AdminTopicView })
  @ApiConflictResponse({ description: 'The key is taken' })
  create(@Body() dto: CreateTopicDto, @CurrentStaff() actor: StaffPrincipal): Promise<AdminTopicView> {
    return this.topics.create(dto, actor);
  }

  @Patch(':key')
  @ApiOperation({ summary: 'Change a topic (label, description, mailbox, response target, active, order)' })
  @ApiOkResponse({ type: AdminTopicView })
  @ApiNotFoundResponse({ description: 'No such topic' })
  update(@Param('key') key: string, @Body() dto: UpdateTopicDto, @CurrentStaff() actor: StaffPrincipal): Promise<AdminTopicView> {
    return this.topics.update(key, dto, actor);
  }
}
