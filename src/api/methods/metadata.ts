import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import type { MetadataQuery } from "@zitadel/proto/zitadel/metadata_pb.js";
import { TextQueryMethod } from "@zitadel/proto/zitadel/object_pb.js";
import { fail } from "../../errors.js";
import type { UserMetadataView } from "../../projections/views.js";
import { listDetailsPb, page } from "./listQuery.js";
import { detailsPb } from "./pb.js";
import { handle, type MethodDeps, type MethodEntry } from "./table.js";

const { method } = ManagementService;

/** Each query is a pass over the user's keys: a request may ask this many. */
const MAX_QUERIES = 20;

/** zitadel.metadata.v1.Metadata: the value as the bytes it was set as. */
const metadataPb = (entry: UserMetadataView) => ({ details: detailsPb(entry.details), key: entry.key, value: Buffer.from(entry.value, "base64") });

/** ZITADEL's text comparisons (object.TextMethodToQuery), on metadata keys. */
const keyMatches: Readonly<Record<TextQueryMethod, (key: string, wanted: string) => boolean>> = {
  [TextQueryMethod.EQUALS]: (key, wanted) => key === wanted,
  [TextQueryMethod.EQUALS_IGNORE_CASE]: (key, wanted) => key.toLowerCase() === wanted.toLowerCase(),
  [TextQueryMethod.STARTS_WITH]: (key, wanted) => key.startsWith(wanted),
  [TextQueryMethod.STARTS_WITH_IGNORE_CASE]: (key, wanted) => key.toLowerCase().startsWith(wanted.toLowerCase()),
  [TextQueryMethod.CONTAINS]: (key, wanted) => key.includes(wanted),
  [TextQueryMethod.CONTAINS_IGNORE_CASE]: (key, wanted) => key.toLowerCase().includes(wanted.toLowerCase()),
  [TextQueryMethod.ENDS_WITH]: (key, wanted) => key.endsWith(wanted),
  [TextQueryMethod.ENDS_WITH_IGNORE_CASE]: (key, wanted) => key.toLowerCase().endsWith(wanted.toLowerCase()),
};

/** ListUserMetadata's `queries`, all of which a key must match; a query of no kind is ZITADEL's METAD-fdg23. */
function keyFilter(queries: readonly MetadataQuery[]): (entry: UserMetadataView) => boolean {
  if (queries.length > MAX_QUERIES) fail("metadataTooManyQueries", `At most ${MAX_QUERIES} metadata queries`);
  const tests = queries.map(({ query }) => {
    if (query.case !== "keyQuery") return fail("metadataQueryInvalid");
    const { key: wanted, method: comparison } = query.value;
    return (key: string) => keyMatches[comparison](key, wanted);
  });
  return (entry) => tests.every((test) => test(entry.key));
}

/** A user's metadata: keys with values of bytes, set and removed one at a time or in bulk. */
export const metadataMethods = ({ commands, queries }: MethodDeps): MethodEntry[] => [
  handle(method.setUserMetadata, async (request, caller) => ({
    details: detailsPb((await commands.setUserMetadata(caller, request.id, [{ key: request.key, value: request.value }])).details),
  })),
  handle(method.bulkSetUserMetadata, async (request, caller) => ({
    details: detailsPb((await commands.setUserMetadata(caller, request.id, request.metadata)).details),
  })),
  handle(method.removeUserMetadata, async (request, caller) => ({
    details: detailsPb((await commands.removeUserMetadata(caller, request.id, "RemoveUserMetadata", [request.key])).details),
  })),
  handle(method.bulkRemoveUserMetadata, async (request, caller) => ({
    details: detailsPb((await commands.removeUserMetadata(caller, request.id, "BulkRemoveUserMetadata", request.keys)).details),
  })),
  handle(method.getUserMetadata, async (request, caller) => ({ metadata: metadataPb(await queries.userMetadataByKey(request.id, request.key, caller.orgId)) })),
  handle(method.listUserMetadata, async (request, caller) => {
    const matches = keyFilter(request.queries);
    const { entries, processedPosition } = await queries.userMetadataOf(request.id, caller.orgId);
    const found = entries.filter(matches);
    return { details: listDetailsPb(found.length, processedPosition), result: page(found, request.query).map(metadataPb) };
  }),
];
