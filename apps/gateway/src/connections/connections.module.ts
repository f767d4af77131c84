import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { HistoryService } from '../history/history.service';
import { ConnectionRegistry } from './connection-registry';
import { ConnectionsGateway } from './connections.gateway';

/** The Socket.IO gateway: handshake, connection set-up and client messages. */
@Module({
  imports: [DeliveryModule],
  providers: [ConnectionsGateway, ConnectionRegistry, HistoryService],
})
export class ConnectionsModule {}
