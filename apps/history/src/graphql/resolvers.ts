import { AlertsResolver } from './alerts.resolver';
import { HistoryResolver } from './history.resolver';

/** Every resolver of the schema: the module serves them, `npm run graphql:schema` prints them. */
export const GRAPHQL_RESOLVERS = [HistoryResolver, AlertsResolver];
