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

/**
 * The few `EventStoreDBClient` methods the adapter uses. The real client has them; the unit
 * tests' in-memory stand-in has them too, so the adapter's own logic runs without a server.
 */
export interface EsdbClient {
  appendToStream(
    streamName: string,
    events: JSONEventData[],
    options: { readonly expectedRevision: AppendExpectedRevision; readonly deadline?: number },
  ): Promise<AppendResult>;
  readStream(streamName: string, options: ReadStreamOptions): AsyncIterable<ResolvedEvent>;
  readAll(options: ReadAllOptions): AsyncIterable<AllStreamResolvedEvent>;
  subscribeToAll(options: SubscribeToAllOptions): AsyncIterable<AllStreamResolvedEvent> & { unsubscribe(): Promise<void> };
  dispose(): Promise<void>;
}

/** A client for `esdb://host:2113?tls=false` and the other forms EventStoreDB's connection strings take. */
export const connectEsdb = (connectionString: string): EsdbClient => EventStoreDBClient.connectionString(connectionString);
