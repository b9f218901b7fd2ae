import type { OutgoingHttpHeaders } from "node:http";
import type { HttpHandler } from "./service.js";

/**
 * `grpc-message` as the gRPC spec percent-encodes it: only '%' and the bytes outside 0x20-0x7E
 * (as grpc-go does). Every client decodes this form.
 */
export const encodeGrpcMessage = (message: string): string =>
  Array.from(Buffer.from(message, "utf8"), (byte) =>
    byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");

/**
 * connect-es encodes `grpc-message` with encodeURIComponent, but grpc-js (under @zitadel/node)
 * decodes it with decodeURI, which leaves `%3A`, `%2C` and the like as they are: ZITADEL's SDK
 * users would read "UserName%3A value length ...". This re-encodes it the spec's way in the
 * headers (trailers-only responses) and trailers of one response.
 */
export function useSpecGrpcMessage(res: Parameters<HttpHandler>[1]): void {
  const respec = (headers: OutgoingHttpHeaders | undefined) => {
    const message = headers?.["grpc-message"];
    if (typeof message === "string") headers!["grpc-message"] = encodeGrpcMessage(decodeURIComponent(message));
    return headers;
  };
  // connect-node calls these two forms only: writeHead(status, headers) and addTrailers(trailers).
  const response = res as unknown as { writeHead(status: number, headers?: OutgoingHttpHeaders): unknown; addTrailers(trailers: OutgoingHttpHeaders): void };
  const { writeHead, addTrailers } = response;
  response.writeHead = (status, headers) => writeHead.call(res, status, respec(headers));
  response.addTrailers = (trailers) => addTrailers.call(res, respec(trailers)!);
}
