import { getExtension, hasExtension, type DescMethod, type Message, type MessageInitShape } from "@bufbuild/protobuf";
import { auth_option } from "@zitadel/proto/zitadel/options_pb.js";
import type { Caller } from "../commands/commands.js";
import { authorize, type Credentials } from "../auth/authorize.js";
import type { Queries } from "../queries/queries.js";
import { validatorFor } from "./validation.js";

/** A served method's business part: a decoded request in, a response to encode out. */
export type MethodHandler = (request: any, caller: Caller) => Promise<MessageInitShape<any>>;

/** A method as both transports call it. */
export type ServedMethod = (request: Message, credentials: Credentials) => Promise<MessageInitShape<any>>;

/**
 * One request, whatever its transport:
 * 1. catch the read model up to the log's head (read-your-writes, bounded),
 * 2. authenticate and authorize with the method's `zitadel.v1.auth_option` permission,
 * 3. validate against the request's `validate.rules`,
 * 4. run the handler.
 * Authorization comes before validation, as in ZITADEL's interceptor chain.
 */
export function servedMethod(method: DescMethod, queries: Queries, handler: MethodHandler): ServedMethod {
  const options = method.proto.options;
  const permission = options && hasExtension(options, auth_option) ? getExtension(options, auth_option).permission : undefined;
  const validate = validatorFor(method.input);
  return async (request, credentials) => {
    await queries.catchUp();
    const caller = await authorize(queries, credentials, permission === "authenticated" ? "" : (permission ?? ""), await queries.readVersion());
    validate(request);
    return handler(request, caller);
  };
}

/** Methods without an auth option (Healthz) skip steps 1-2. */
export function publicMethod(method: DescMethod, handler: () => Promise<MessageInitShape<any>>): ServedMethod {
  const validate = validatorFor(method.input);
  return async (request) => {
    validate(request);
    return handler();
  };
}
