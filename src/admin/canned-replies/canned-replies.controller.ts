import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation,
} from '@nestjs/swagger';
import { CurrentStaff, StaffApi } from '../../auth/auth.decorators.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { CannedReplyView, CreateCannedReplyDto, UpdateCannedReplyDto } from './canned-replies.dto.js';
import { CannedRepliesService } from './canned-replies.service.js';

@StaffApi('admin: canned replies')
@Controller('api/admin/canned-replies')
export class CannedRepliesController {
  constructor(private readonly replies: CannedRepliesService) {}

  @Get()
  @ApiOperation({ summary: 'Every canned reply, by title' })
  @ApiOkResponse({ type: [CannedReplyView] })
  list(): Promise<CannedReplyView[]> {
    return this.replies.list();
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a canned reply' })
  @ApiCreatedResponse({ type: CannedReplyView })
  create(@Body() dto: CreateCannedReplyDto, @CurrentStaff() actor: StaffPrincipal): Promise<CannedReplyView> {
    return this.replies.create(dto, actor);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the title or body of a canned reply' })
  @ApiOkResponse({ type: CannedReplyView })
  @ApiNotFoundResponse({ description: 'No such canned reply' })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateCannedReplyDto): Promise<CannedReplyView> {
    return this.replies.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a canned reply' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such canned reply' })
  async remove(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.replies.remove(id);
  }
}
