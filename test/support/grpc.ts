import type { Interceptor } from "@connectrpc/connect";

/** A Connect interceptor that sends `token` as the bearer credential of every call. */
export const bearer =
  (token: string): Interceptor =>
  (next) =>
  (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
