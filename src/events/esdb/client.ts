import {
  EventStoreDBClient,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type AppendResult,
  type JSONEventData,
  type ReadAllOptions,
  type ReadStreamOptions,
  type ResolvedEvent,
  type SubscribeToAllOptions,
} from "@eventstore/db-client";
import { checkConnectionString } from "./connectionString.js";

/**
 * The few `EventStoreDBClient` methods the adapter uses. The real client has them; the unit
 * tests' in-memory stand-in has them too, so the adapter's own logic runs without a server.
 */
export interface EsdbClient {
  appendToStream(
    streamName: string,
    events: JSONEventData[],
    options: { readonly expectedRevision: AppendExpectedRevision; readonly deadline?: number; readonly requiresLeader?: boolean },
  ): Promise<AppendResult>;
  readStream(streamName: string, options: ReadStreamOptions): AsyncIterable<ResolvedEvent>;
  readAll(options: ReadAllOptions): AsyncIterable<AllStreamResolvedEvent>;
  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<AllStreamResolvedEvent> & { unsubscribe(): Promise<void> };
  dispose(): Promise<void>;
}

/**
 * A client for `esdb://host:2113?tls=false`, `esdb://user:password@host:2113?tlsCAFile=ca.crt`,
 * `esdb+discover://user:password@cluster.dns:2113` and the other forms of EventStoreDB's
 * connection strings, less the settings the adapter cannot honour (connectionString.ts).
 */
export function connectEsdb(connectionString: string): EsdbClient {
  checkConnectionString(connectionString);
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(connectionString);
  } catch (error) {
    // a parse error's message quotes the string, which may hold a password
    const { expected, location, message } = error as { expected?: string; location?: [number, number]; message: string };
    throw new Error(`EVENTSTORE_URL: ${expected ? `expected ${expected} at position ${location?.[0]}` : message}`);
  }
  // Before its first append on a connection the client asks the server which features it has,
  // and keeps a failed answer for good unless the failure was UNAVAILABLE: after a failed cluster
  // discovery or a stream reset there, every later append would fail with it. The one feature it
  // asks for (batch appends) is in every server the adapter supports (22.6 and later).
  Object.defineProperty(client, "supports", { value: async () => true });
  return client;
}
