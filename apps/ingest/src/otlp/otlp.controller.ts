import { Body, Controller, HttpCode, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiProduces,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@auren/auth';
import { ApiError, ErrorBodyDto } from '@auren/platform';
import { IngestAuthGuard } from '../credentials/ingest-auth.guard';
import { CurrentPrincipal } from '../credentials/principal.decorator';
import { decodeJsonExport, decodeProtobufExport, encodeProtobufResponse } from './otlp-decode';
import { JSON_TYPE, mediaTypeOf, PROTOBUF_TYPE } from './otlp-http';
import { DecodedExport, UndecodableExportError } from './otlp-model';
import { OtlpRateLimitFilter } from './otlp-rate-limit.filter';
import { OtlpService } from './otlp.service';

/** OTLP/JSON ExportTraceServiceResponse (int64 written as a decimal string, as proto3 JSON does). */
export interface OtlpJsonResponse {
  partialSuccess?: { rejectedSpans: string; errorMessage: string };
}

/** The OTLP/JSON envelope ingest reads; null or absent lists are empty, spans are read one by one. */
const OTLP_EXPORT_SCHEMA = {
  type: 'object',
  properties: {
    resourceSpans: {
      type: 'array',
      nullable: true,
      items: {
        type: 'object',
        properties: {
          scopeSpans: {
            type: 'array',
            nullable: true,
            items: {
              type: 'object',
              properties: {
                spans: {
                  type: 'array',
                  nullable: true,
                  items: { description: 'An OTLP/JSON Span' },
                },
              },
            },
          },
        },
      },
    },
  },
};

const OTLP_RESPONSE_SCHEMA = {
  type: 'object',
  properties: {
    partialSuccess: {
      type: 'object',
      properties: {
        rejectedSpans: { type: 'string', description: 'int64, written as a string' },
        errorMessage: { type: 'string' },
      },
    },
  },
};

/**
 * OTLP/HTTP trace receiver (CONTRACT §2, docs/otlp.md): any OpenTelemetry SDK exporter pointed
 * at `<ingest>/v1/traces`. The answer is encoded like the request; errors keep the contract's
 * JSON error body (OTLP clients act on the status code).
 */
@ApiTags('otlp')
@ApiBearerAuth()
@UseGuards(IngestAuthGuard)
@UseFilters(OtlpRateLimitFilter)
@Controller('v1/traces')
export class OtlpController {
  constructor(private readonly otlp: OtlpService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'OTLP/HTTP trace export; GenAI, OpenInference and OpenLLMetry spans become agent events (docs/otlp.md)',
  })
  @ApiConsumes(PROTOBUF_TYPE, JSON_TYPE)
  @ApiProduces(PROTOBUF_TYPE, JSON_TYPE)
  @ApiBody({
    description:
      'ExportTraceServiceRequest (protobuf or OTLP/JSON), optionally gzip. GenAI, OpenInference and OpenLLMetry spans become agent events; a span that cannot be read or mapped is refused alone, in partialSuccess',
    schema: OTLP_EXPORT_SCHEMA,
  })
  @ApiOkResponse({
    description:
      'ExportTraceServiceResponse; partialSuccess.rejectedSpans counts the spans not stored (unreadable, invalid, or mapped to no AUREN event) and errorMessage names the first of them with the reason',
    content: {
      [JSON_TYPE]: { schema: OTLP_RESPONSE_SCHEMA },
      [PROTOBUF_TYPE]: { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiBadRequestResponse({ type: ErrorBodyDto, description: 'Body is not an OTLP export' })
  @ApiUnauthorizedResponse({ type: ErrorBodyDto, description: 'Missing or bad credential' })
  @ApiPayloadTooLargeResponse({
    type: ErrorBodyDto,
    description: 'Over 1 MiB on the wire, or gzip inflating to over 8 MiB',
  })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorBodyDto,
    description: 'Not application/x-protobuf or application/json, or an encoding other than gzip',
  })
  @ApiTooManyRequestsResponse({
    description:
      'Credential over its rate limit; nothing of the export was written after this point; google.rpc.Status body (encoded like the request) with RetryInfo; see Retry-After',
  })
  @ApiServiceUnavailableResponse({
    type: ErrorBodyDto,
    description: 'Stream backend down; nothing accepted; see Retry-After',
  })
  async export(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Buffer | OtlpJsonResponse> {
    const protobuf = mediaTypeOf(request.headers['content-type']) === PROTOBUF_TYPE;
    const result = await this.otlp.ingest(decode(protobuf, body), principal, request.ip);
    if (protobuf) {
      void reply.type(PROTOBUF_TYPE);
      return encodeProtobufResponse(result.partialSuccess);
    }
    const partial = result.partialSuccess;
    return partial
      ? {
          partialSuccess: {
            rejectedSpans: String(partial.rejectedSpans),
            errorMessage: partial.errorMessage,
          },
        }
      : {};
  }
}

function decode(protobuf: boolean, body: unknown): DecodedExport {
  try {
    return protobuf
      ? decodeProtobufExport(Buffer.isBuffer(body) ? body : Buffer.alloc(0))
      : decodeJsonExport(body);
  } catch (error) {
    if (error instanceof UndecodableExportError)
      throw new ApiError(400, error.message, 'validation');
    throw error;
  }
}
