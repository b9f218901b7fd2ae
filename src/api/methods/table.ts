import type { DescMessage, DescMethodUnary, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { AuditLog } from "../../audit/auditLog.js";
import type { Caller, Commands } from "../../commands/commands.js";
import type { Queries } from "../../queries/queries.js";
import type { UserSearchQueries } from "../../queries/userSearch.js";
import { servedMethod, type MethodHandler, type ServedMethod } from "../pipeline.js";

/** What the method tables are built from. */
export interface MethodDeps {
  readonly commands: Commands;
  readonly queries: Queries;
  readonly audit: AuditLog;
  readonly userSearch: UserSearchQueries;
}

/** One row of a method table: a descriptor's method and its handler, typed by the method's messages. */
export interface MethodEntry {
  readonly method: DescMethodUnary;
  readonly handler: MethodHandler;
}

export const handle = <I extends DescMessage, O extends DescMessage>(
  method: DescMethodUnary<I, O>,
  handler: (request: MessageShape<I>, caller: Caller) => Promise<MessageInitShape<O>>,
): MethodEntry => ({ method: method as unknown as DescMethodUnary, handler: handler as MethodHandler });

/**
 * The one place where descriptors become served methods: every row goes through the request
 * pipeline (catch-up, authorization from the method's auth_option, validation). A method no row
 * names answers UNIMPLEMENTED on every transport.
 */
export function servedMethods(service: DescService, rows: readonly MethodEntry[], queries: Queries): Map<string, ServedMethod> {
  const served = new Map<string, ServedMethod>();
  for (const { method, handler } of rows) {
    if (method.parent !== service) throw new Error(`${method.name} is not a method of ${service.typeName}`);
    if (served.has(method.name)) throw new Error(`${method.name} is in two method tables`);
    served.set(method.name, servedMethod(method, queries, handler));
  }
  return served;
}
