import { create } from "@bufbuild/protobuf";
import { ConnectError, type Code } from "@connectrpc/connect";
import { ErrorDetailSchema } from "@zitadel/proto/zitadel/message_pb.js";
import { toWireError } from "../errorBody.js";

/**
 * An error as gRPC, gRPC-web and Connect carry it: REST's code and message, and the error id in a
 * `zitadel.v1.ErrorDetail`, as ZITADEL sends it. The original error rides along as `cause` for the
 * log only; the protocols never put a cause on the wire.
 */
export function toConnectError(error: unknown): ConnectError {
  const wire = toWireError(error);
  const details = wire.detail ? [{ desc: ErrorDetailSchema, value: create(ErrorDetailSchema, wire.detail) }] : [];
  return new ConnectError(wire.message, wire.code as Code, undefined, details, error);
}
