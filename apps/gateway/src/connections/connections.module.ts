import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { SummariesModule } from '../summaries/summaries.module';
import { ConnectionRegistry } from './connection-registry';
import { ConnectionsGateway } from './connections.gateway';

/** The Socket.IO gateway: handshake, connection set-up and client messages. */
@Module({
  imports: [DeliveryModule, SummariesModule],
  providers: [ConnectionsGateway, ConnectionRegistry],
  exports: [ConnectionRegistry],
})
export class ConnectionsModule {}
