import { create, fromJson, toJson, getExtension, type DescMessage, type DescMethod, type DescService, type JsonObject } from "@bufbuild/protobuf";
import { http as httpRule } from "@zitadel/proto/google/api/annotations_pb.js";
import { ManagementService } from "@zitadel/proto/zitadel/management_pb.js";
import express, { type NextFunction, type Request, type Response } from "express";
import { StatusError } from "../errors.js";
import type { ServedMethod } from "./pipeline.js";
import { restErrorBody, toWireError } from "./errorBody.js";

export const REST_PREFIX = "/management/v1";

interface Route {
  readonly verb: "get" | "put" | "post" | "delete" | "patch";
  /** Express path, e.g. `/management/v1/users/:user_id/machine`. */
  readonly path: string;
  readonly bodyStar: boolean;
  readonly literalSegments: number;
  readonly method: DescMethod;
}

/**
 * REST routes straight from the descriptors' `google.api.http` options, so that a method exists on
 * REST exactly when it exists on gRPC, with the same path, verb and body mapping. Literal segments
 * win over variables (`/users/_search` before `/users/{id}`), as in grpc-gateway.
 */
export function routesOf(methods: readonly DescMethod[], prefix = REST_PREFIX): Route[] {
  const routes: Route[] = [];
  for (const method of methods) {
    const rule = method.proto.options ? getExtension(method.proto.options, httpRule) : undefined;
    const pattern = rule?.pattern;
    if (!rule || !pattern?.case || pattern.case === "custom") continue;
    const segments = pattern.value.split("/").filter(Boolean);
    routes.push({
      verb: pattern.case,
      path: prefix + "/" + segments.map(toExpressSegment).join("/"),
      bodyStar: rule.body === "*",
      literalSegments: segments.filter((s) => !s.startsWith("{")).length,
      method,
    });
  }
  return routes.sort((a, b) => b.literalSegments - a.literalSegments);
}

function toExpressSegment(segment: string): string {
  const variable = /^\{(\w+)(=\*\*)?\}$/.exec(segment);
  if (!variable) return segment;
  return variable[2] ? `*${variable[1]}` : `:${variable[1]}`;
}

const JSON_TYPES = /^application\/(.+\+)?json\s*(;|$)/i;

/**
 * The REST transport: protojson in, protojson out, errors as ZITADEL's gateway writes them.
 * One router per service: ManagementService under /management/v1, AdminService under /admin/v1.
 */
export function restRouter(
  served: ReadonlyMap<string, ServedMethod>,
  { service = ManagementService, prefix = REST_PREFIX }: { service?: DescService; prefix?: string } = {},
): express.Router {
  const router = express.Router();
  const parseJson = express.json({ type: () => true, limit: "1mb" });
  // One group per first path segment (`/users`, `/orgs`, ...), found by a map lookup; inside it, the
  // routes of the request's verb with its number of segments (plus the few `{name=**}` routes, which
  // take any number): a request is matched against a handful of routes, not all ~300.
  const groups = new Map<string, Group>();
  for (const route of routesOf(service.methods, prefix)) {
    const relative = route.path.slice(prefix.length);
    const segment = /^\/[^/:*]+/.exec(relative)?.[0] ?? "";
    let group = groups.get(segment);
    if (!group) groups.set(segment, (group = { routes: [], all: express.Router(), byShape: new Map() }));
    const serve = served.get(route.method.name);
    const body = route.bodyStar ? [requireJson(route), parseJson] : [];
    const handler = async (req: Request, res: Response) => {
      res.locals.route = route.path;
      res.locals.method = route.method.name;
      if (!serve) {
        sendError(res, new StatusError("Unimplemented", `method ${route.method.name} not implemented`));
        return;
      }
      try {
        const request = decode(route, req);
        const response = await serve(request, {
          authorization: req.get("authorization"),
          orgId: req.get("x-zitadel-orgid"),
          requestId: res.locals.requestId as string,
        });
        res.json(toJson(route.method.output, create(route.method.output, response)));
      } catch (error) {
        sendError(res, error);
      }
    };
    group.routes.push({ verb: route.verb, relative, segments: segmentCount(relative), wildcard: relative.includes("*"), handlers: [...body, handler] });
    group.all[route.verb](relative, ...body, handler);
  }
  for (const group of groups.values()) {
    for (const { verb, segments, wildcard } of group.routes) {
      const shape = wildcard ? `${verb} *` : `${verb} ${segments}`;
      if (!group.byShape.has(shape)) group.byShape.set(shape, shapeRouter(group.routes, verb, wildcard ? undefined : segments));
    }
  }
  const variableFirst = groups.get("");
  router.use(prefix, (req, res, next) => {
    const group = groups.get(/^\/[^/]+/.exec(req.path)?.[0] ?? "") ?? variableFirst;
    if (!group) return next();
    const verb = req.method === "HEAD" ? "get" : req.method.toLowerCase();
    // Other methods (OPTIONS and the like) meet every route, for express's own answer to them.
    if (!VERBS.has(verb)) return group.all(req, res, next);
    const shaped = group.byShape.get(`${verb} ${segmentCount(req.path)}`) ?? group.byShape.get(`${verb} *`);
    if (shaped) shaped(req, res, next);
    else next();
  });
  return router;
}

const VERBS: ReadonlySet<string> = new Set(["get", "put", "post", "delete", "patch"]);

interface GroupRoute {
  readonly verb: Route["verb"];
  readonly relative: string;
  readonly segments: number;
  readonly wildcard: boolean;
  readonly handlers: express.RequestHandler[];
}

interface Group {
  readonly routes: GroupRoute[];
  /** Every route of the group, as registered. */
  readonly all: express.Router;
  /** `"<verb> <segments>"` (`"<verb> *"`: any other number) -> the routes a request of that shape can match, in the group's order. */
  readonly byShape: Map<string, express.Router>;
}

/** A path's non-empty segments: what a route without `{name=**}` matches exactly (a trailing slash aside). */
const segmentCount = (path: string) => path.split("/").filter(Boolean).length;

/** The routes of `verb` with `segments` segments (undefined: none but the wildcards), and every wildcard route of `verb`. */
function shapeRouter(routes: readonly GroupRoute[], verb: Route["verb"], segments: number | undefined): express.Router {
  const shaped = express.Router();
  for (const route of routes) {
    if (route.verb === verb && (route.wildcard || route.segments === segments)) shaped[verb](route.relative, ...route.handlers);
  }
  return shaped;
}

function requireJson(route: Route) {
  return (req: Request, res: Response, next: NextFunction) => {
    const type = req.get("content-type");
    if (route.bodyStar && type && !JSON_TYPES.test(type) && req.get("content-length") !== "0") {
      res.locals.route = route.path;
      sendError(res, new StatusError("InvalidArgument", "Content-Type must be application/json"));
      return;
    }
    next();
  };
}

function decode(route: Route, req: Request) {
  const params: JsonObject = {};
  for (const [name, value] of Object.entries(req.params)) params[name] = Array.isArray(value) ? value.join("/") : String(value);
  const body = route.bodyStar && isObject(req.body) ? withoutFields(req.body, route.method, Object.keys(params)) : {};
  const query = route.bodyStar ? {} : queryFields(route.method, req.query);
  try {
    return fromJson(route.method.input, knownFieldsOnly(route.method.input, { ...query, ...body, ...params }));
  } catch (error) {
    throw new StatusError("InvalidArgument", (error as Error).message);
  }
}

/**
 * Unknown fields are dropped, as ZITADEL's gateway does (DiscardUnknown). Unlike Go's protojson,
 * an unknown enum name is then refused rather than silently read as the default.
 */
function knownFieldsOnly(desc: DescMessage, json: JsonObject): JsonObject {
  const known: JsonObject = {};
  for (const field of desc.fields) {
    const key = field.jsonName in json ? field.jsonName : field.name in json ? field.name : undefined;
    if (key === undefined) continue;
    const value = json[key]!;
    const nested = field.fieldKind === "message" || (field.fieldKind === "list" && field.listKind === "message") ? field.message : undefined;
    const plain = nested?.typeName.startsWith("google.protobuf.") ? undefined : nested;
    known[key] = !plain ? value : Array.isArray(value) ? value.map((v) => (isObject(v) ? knownFieldsOnly(plain, v) : v)) : isObject(value) ? knownFieldsOnly(plain, value) : value;
  }
  return known;
}

const isObject = (value: unknown): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/** Path parameters win over the body (grpc-gateway), under either of their JSON names. */
function withoutFields(body: JsonObject, method: DescMethod, protoNames: readonly string[]): JsonObject {
  const drop = new Set(protoNames.flatMap((name) => [name, method.input.fields.find((f) => f.name === name)?.jsonName ?? name]));
  return Object.fromEntries(Object.entries(body).filter(([key]) => !drop.has(key)));
}

/** Scalar query parameters of GET/DELETE requests, by either JSON name. */
function queryFields(method: DescMethod, query: Request["query"]): JsonObject {
  const fields: JsonObject = {};
  for (const field of method.input.fields) {
    const value = query[field.jsonName] ?? query[field.name];
    if (typeof value === "string" && field.fieldKind !== "message") fields[field.jsonName] = value;
  }
  return fields;
}

export function sendError(res: Response, error: unknown): void {
  const wire = toWireError(error);
  res.locals.error = error;
  res.status(wire.httpStatus).json(restErrorBody(wire));
}
